using System.Text;

namespace Meshwork.Cli.Tests.OperatorMistakes;

/// <summary>
/// `meshwork apply -f` of a manifest far larger than the control plane accepts: the server's 413 reaches the
/// operator as one line that says what to do, with a non-zero exit and no stack trace.
/// </summary>
public sealed class OversizedApplyTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new(withControlPlane: true);
    public Task InitializeAsync() => _cli.InitializeAsync();
    public Task DisposeAsync() => _cli.DisposeAsync();

    [Fact]
    public async Task A_50_MB_manifest_is_refused_in_one_line()
    {
        // Fifty objects of 1 MB each: every one under Kubernetes' 3 MiB object limit, together over the request limit.
        var manifest = new StringBuilder(52 * 1024 * 1024);
        for (var map = 0; map < 50; map++)
        {
            manifest.Append("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge-").Append(map).Append("\n  namespace: default\ndata:\n");
            for (var i = 0; i < 256; i++) manifest.Append("  key").Append(i).Append(": ").Append('x', 4000).Append('\n');
        }
        var path = _cli.Write("huge.yaml", manifest.ToString());

        var (exit, _, err) = await _cli.RunAsync("apply", "-f", path);

        Assert.NotEqual(0, exit);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 2);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Contains("larger than", err, StringComparison.Ordinal);
    }
}
