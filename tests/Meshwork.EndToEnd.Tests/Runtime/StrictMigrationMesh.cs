using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>
/// Seed 003's mesh: foo's pods have sidecars (kube-inject) and foo is STRICT; bar's sleep has one and bar stays
/// PERMISSIVE (its sidecar accepts plaintext, so only the pod boundary guards its listeners); legacy's sleep has none.
/// Apps run unchanged. A subclass picks the pod network mode.
/// </summary>
public abstract class StrictMigrationMesh : MeshFixture
{
    /// <summary>What `meshwork up` printed.</summary>
    public CommandResult Up { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Up = await UpAsync(Sample("mtls-migration/namespaces.yaml"));
        await ApplyInjectedAsync(Sample("mtls-migration/httpbin.yaml"), "foo");
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "foo");
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "bar");
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/sleep.yaml"));
        await MustAsync("apply", "-n", "foo", "-f", Sample("mtls-migration/mtls-ns.yaml"));
        await Mw.EventuallyAsync(
            () => Task.FromResult(Pods("foo").Count(p => p.Ready) == 2 && Pods("bar").Count(p => p.Ready) == 1 && Pods("legacy").Count(p => p.Ready) == 1),
            TimeSpan.FromSeconds(240),
            () => Task.FromResult($"pods: {string.Join(", ", Pods("foo").Concat(Pods("bar")).Concat(Pods("legacy")).Select(p => $"{p.Name} ready={p.Ready}"))}\n{Logs()}"));
        // The STRICT policy has reached httpbin.foo's sidecar once the legacy client is refused.
        await CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000");
    }

    public PodRecord Pod(string @namespace, string deployment) => Pods(@namespace).Single(p => p.Deployment == deployment);

    /// <summary>A command in a container of deploy/<paramref name="deployment"/> in <paramref name="namespace"/>.</summary>
    public Task<CommandResult> ExecAsync(string @namespace, string deployment, string container, params string[] command) =>
        RunAsync(["exec", "-n", @namespace, $"deploy/{deployment}", "-c", container, "--", .. command]);

    /// <summary>One curl with no proxy: its options and URL.</summary>
    public sealed record Attempt(string Url, params string[] Options)
    {
        public override string ToString() => $"{string.Join(' ', Options)} {Url}".Trim();

        public IEnumerable<string> CurlArguments => ["-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", "--noproxy", "*", .. Options, Url];
    }

    /// <summary>Every attempt from the legacy pod, in one exec: each one's status code ("000" when no HTTP answer came).</summary>
    public async Task<IReadOnlyList<(Attempt Attempt, string Code)>> CurlFromLegacyAsync(params Attempt[] attempts)
    {
        var q = ProcessLauncher.ShellQuote;
        var script = string.Join('\n', attempts.Select(a => $"curl {string.Join(' ', a.CurlArguments.Select(q))}; echo"));
        var run = await ExecAsync("legacy", "sleep", "sleep", "sh", "-c", script);
        var codes = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(codes.Length == attempts.Length, $"{attempts.Length} curls from the legacy pod gave {codes.Length} codes: {run}");
        return [.. attempts.Zip(codes, (a, c) => (a, c.Trim()))];
    }

    /// <summary>Every attempt from a plain process of this host: each one's status code ("000" when no HTTP answer came).</summary>
    public static async Task<IReadOnlyList<(Attempt Attempt, string Code)>> CurlFromHostAsync(params Attempt[] attempts)
    {
        var codes = new List<(Attempt, string)>();
        foreach (var attempt in attempts)
            codes.Add((attempt, (await Mw.RunProcessAsync("curl", attempt.CurlArguments, TimeSpan.FromSeconds(60))).Stdout.Trim()));
        return codes;
    }

    /// <summary>The files no pod may read: the CA's key, the config API's admin token, and httpbin.foo's key.</summary>
    public IReadOnlyList<string> Secrets()
    {
        var httpbin = Pod("foo", "httpbin");
        return [Path.Combine(State.CaDirectory, "ca-key.pem"), State.AdminTokenFile, Path.Combine(State.PodDirectory("foo", httpbin.Name), "etc", "certs", "key.pem")];
    }
}

public sealed class StrictPodNetworkMesh : StrictMigrationMesh
{
    protected override string PodNetwork => "netns";

    public override Task InitializeAsync() => PodNetworkFactAttribute.SkipReason is null ? base.InitializeAsync() : Task.CompletedTask;
}

public sealed class StrictLoopbackMesh : StrictMigrationMesh
{
    protected override string PodNetwork => "loopback";
}
