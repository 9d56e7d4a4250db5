using Meshwork.Runtime.Pods;
using Meshwork.Testing;

namespace Meshwork.Cli.Tests;

/// <summary>`x certs` over the certificates the runtime's sidecars hold, failing when one expires within the window.</summary>
public sealed class CertsCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new(withControlPlane: false);

    public Task InitializeAsync() => _cli.InitializeAsync();

    public Task DisposeAsync() => _cli.DisposeAsync();

    private Task<(int Exit, string Out, string Err)> MeshworkAsync(params string[] args) => _cli.RunAsync(args);

    private void AddPod(string ns, string name, string serviceAccount, TimeSpan? lifetime) =>
        AddPod(ns, name, serviceAccount, TestCertificateAuthority.Shared.IssueWorkload(ns, serviceAccount, lifetime));

    private void AddPod(string ns, string name, string serviceAccount, Identity.WorkloadCredentials credentials)
    {
        var directory = _cli.State.PodDirectory(ns, name);
        new PodRecord { Namespace = ns, Name = name, Deployment = serviceAccount, TemplateHash = "abc", PodIp = "127.1.0.9", Sidecar = true, CreatedAt = DateTimeOffset.UtcNow }.Write(directory);
        credentials.WriteTo(Path.Combine(directory, "etc", "certs"));
    }

    [Fact]
    public async Task Without_a_window_only_an_expired_certificate_fails()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", TimeSpan.FromHours(1));
        var fresh = await MeshworkAsync("x", "certs");
        AddPod("bar", "sleep-1-bbbbb", "sleep", TestCertificateAuthority.Shared.IssueExpired(TestCertificateAuthority.Shared.Id("bar", "sleep")));
        var stale = await MeshworkAsync("x", "certs");

        Assert.Equal(0, fresh.Exit);
        Assert.Equal(1, stale.Exit);
        Assert.Equal("EXPIRED", Row(stale.Out, "sleep-1-bbbbb")[^1]);
        Assert.Equal("error: 1 of 2 workload certificates expired\n", stale.Err);
    }

    private static string[] Row(string stdout, string pod) =>
        stdout.Split('\n').Single(l => l.Contains(pod, StringComparison.Ordinal)).Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task A_certificate_expiring_within_the_window_fails_the_run_and_is_marked()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", TimeSpan.FromHours(48));
        AddPod("bar", "sleep-1-bbbbb", "sleep", TimeSpan.FromDays(30));

        var soon = await MeshworkAsync("x", "certs", "--expiring-within", "72h");
        var later = await MeshworkAsync("x", "certs", "--expiring-within", "1h");

        Assert.Equal(1, soon.Exit);
        Assert.Equal("error: 1 of 2 workload certificates expired or expiring within 72h\n", soon.Err);
        var row = Row(soon.Out, "httpbin-1-aaaaa");
        Assert.Equal(["foo", "httpbin-1-aaaaa", "spiffe://cluster.local/ns/foo/sa/httpbin"], row[..3]);
        Assert.Equal("EXPIRING", row[^1]);
        Assert.Equal("VALID", Row(soon.Out, "sleep-1-bbbbb")[^1]);
        Assert.Equal(0, later.Exit);
        Assert.StartsWith("NAMESPACE   POD", later.Out);
    }

    [Fact]
    public async Task The_namespace_flag_narrows_the_list()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", TimeSpan.FromHours(2));
        AddPod("bar", "sleep-1-bbbbb", "sleep", TimeSpan.FromDays(30));

        var (exit, stdout, _) = await MeshworkAsync("-n", "bar", "x", "certs", "--expiring-within", "3h");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("httpbin", stdout);
        Assert.Contains("sleep-1-bbbbb", stdout);
    }

    [Theory]
    [InlineData("72")]
    [InlineData("h")]
    [InlineData("3x")]
    [InlineData("-1h")]
    public async Task A_malformed_window_is_refused(string window)
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", TimeSpan.FromDays(30));

        var (exit, stdout, stderr) = await MeshworkAsync("x", "certs", "--expiring-within", window);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("expected a duration such as 72h", stderr);
    }
}
