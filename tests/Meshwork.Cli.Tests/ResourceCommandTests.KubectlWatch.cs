using Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

namespace Meshwork.Cli.Tests;

/// <remarks>
/// The real kubectl's <c>get -w</c>, through the kubeconfig the control plane writes, while the
/// meshwork CLI applies: what one tool writes, the other sees arrive.
/// </remarks>
public sealed partial class ResourceCommandTests
{
    /// <summary>
    /// A namespace's list and every namespace's: kubectl watches from the list's resourceVersion, so
    /// a change committed before its watch request arrives is still sent. (For one named object
    /// kubectl watches from resourceVersion 0 and drops the first event as the object it already
    /// printed; a change made between its GET and its watch is lost, against Kubernetes as here.)
    /// </summary>
    [Theory]
    [InlineData("get pa -n foo -w", false)]
    [InlineData("get pa -A -w", true)]
    public async Task Kubectl_get_watch_prints_each_change_meshwork_apply_makes(string line, bool allNamespaces)
    {
        var mesh = File("mesh.yaml", Mesh);
        Assert.Equal(0, (await MeshworkAsync("apply", "-f", mesh)).ExitCode);
        var home = Directory.CreateDirectory(Path.Combine(_work, "kubectl-home")).FullName;
        var kubectl = new KubectlRunner(_state.KubeconfigFile, home);

        using var watch = kubectl.Start(line.Split(' '));
        var stderr = watch.StandardError.ReadToEndAsync(); // drained, so kubectl never blocks on a full pipe
        try
        {
            // Generous for a loaded machine: the wait is bounded, never judged.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var printed = new List<string>();
            // Reads rows until one starts with the expected cells, keeping what was printed for the failure message.
            async Task SeesAsync(params string[] expected)
            {
                while (true)
                {
                    string? row;
                    try
                    {
                        row = await watch.StandardOutput.ReadLineAsync(timeout.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new Xunit.Sdk.XunitException($"kubectl {line} did not print [{string.Join(' ', expected)}] within 2 minutes; it printed:\n{string.Join('\n', printed)}");
                    }
                    if (row is null) throw new Xunit.Sdk.XunitException($"kubectl {line} ended: {await stderr}\nprinted:\n{string.Join('\n', printed)}");
                    printed.Add(row);
                    var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (allNamespaces) cells = cells[1..];
                    if (cells.Length >= expected.Length && cells[..expected.Length].SequenceEqual(expected)) return;
                }
            }

            await SeesAsync("NAME", "MODE", "AGE");
            await SeesAsync("default", "STRICT");
            foreach (var mode in new[] { "PERMISSIVE", "DISABLE", "STRICT" })
            {
                File("mesh.yaml", Mesh.Replace("mode: STRICT", $"mode: {mode}", StringComparison.Ordinal));
                var applied = await MeshworkAsync("apply", "-f", mesh);
                Assert.Contains("peerauthentication.security.istio.io/default configured", applied.Out);
                await SeesAsync("default", mode);
            }
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync();
        }
    }
}
