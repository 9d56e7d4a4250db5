using Meshwork.EndToEnd.Tests.Infrastructure;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Tutorials;

/// <summary>
/// Runs a tutorial's lines in bash, in a working folder that holds the files the tutorial names, with a
/// `meshwork` function bound to the test's mesh: the lines run as a user types them, process substitution,
/// here-documents, $(…) and loops included (bash's subshells inherit the function). stdout and stderr are
/// read as one terminal. With the real kubectl, kubectl lines run the machine's kubectl through the
/// kubeconfig `meshwork up` wrote (with a home of its own, so no discovery cache is shared).
/// </summary>
public sealed class TutorialShell
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);
    private readonly MeshFixture _mesh;
    private readonly List<string> _exports = [];
    private readonly bool _realKubectl;

    public TutorialShell(MeshFixture mesh, bool realKubectl = false)
    {
        _mesh = mesh;
        _realKubectl = realKubectl;
        WorkingDirectory = Directory.CreateDirectory(Path.Combine(mesh.StatePath, "tutorial")).FullName;
    }

    public string WorkingDirectory { get; }

    /// <summary>Puts a sample where the tutorial's line looks for it (relative to the working folder).</summary>
    public void Provide(string tutorialPath, string sample)
    {
        var path = Path.Combine(WorkingDirectory, tutorialPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(MeshFixture.Sample(sample), path, overwrite: true);
    }

    public Task<CommandResult> RunAsync(string line, TimeSpan? timeout = null)
    {
        var kubectl = _realKubectl ? $"export KUBECONFIG='{_mesh.State.KubeconfigFile}' HOME='{Directory.CreateDirectory(Path.Combine(_mesh.StatePath, "kubectl-home")).FullName}'; " : "";
        var script = $"meshwork() {{ '{Mw.Executable}' --state-dir '{_mesh.StatePath}' \"$@\"; }}; export -f meshwork; {kubectl}cd '{WorkingDirectory}'; {string.Concat(_exports.Select(e => e + "\n"))}( {line}\n) 2>&1";
        return Mw.RunProcessAsync("bash", ["-c", script], timeout ?? TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["MESHWORK_POD_NETWORK"] = Mw.PodNetwork });
    }

    /// <summary>The line as this shell's user types it.</summary>
    private string Typed(TutorialLine line) => _realKubectl ? line.WithRealKubectl : line.AsTyped;

    /// <summary>Runs every line in order and checks what the tutorial says it does; the pending ones are returned, not run.</summary>
    public async Task<IReadOnlyList<TutorialLine>> FollowAsync(IEnumerable<TutorialLine> lines)
    {
        var pending = new List<TutorialLine>();
        foreach (var line in lines)
        {
            switch (line.Check)
            {
                case LineCheck.Pending:
                    pending.Add(line);
                    break;
                case LineCheck.Once:
                    var once = await RunAsync(Typed(line));
                    // 130 with no output: the CLI gave up before its request left (a connection not made in
                    // time on a loaded box), so nothing changed and the line can be typed again, as a user would.
                    for (var retry = 0; retry < 3 && once.ExitCode == 130 && once.Stdout.Length == 0; retry++) once = await RunAsync(Typed(line));
                    Assert.True(once.ExitCode == 0 && line.Holds(once.Stdout), Failure(line, once));
                    // A variable the tutorial exports stays set for its later lines, as in the user's shell.
                    if (Typed(line).StartsWith("export ", StringComparison.Ordinal)) _exports.Add(Typed(line));
                    break;
                case LineCheck.Bounded:
                    var bounded = await RunAsync($"timeout 30 bash -c '{Typed(line).Replace("'", "'\\''", StringComparison.Ordinal)}'");
                    Assert.True(line.Holds(bounded.Stdout), Failure(line, bounded));
                    break;
                case LineCheck.Grows:
                    await GrowsAsync(line);
                    break;
                default:
                    var last = new CommandResult(-1, "", "");
                    var deadline = DateTime.UtcNow + Patience;
                    while (!line.Holds((last = await RunAsync(Typed(line))).Stdout) && DateTime.UtcNow < deadline) await Task.Delay(1000);
                    Assert.True(line.Holds(last.Stdout), Failure(line, last));
                    break;
            }
        }
        return pending;
    }

    /// <summary>
    /// Reads the counter, sends the line's traffic, and reads it again until it has grown: the traffic is sent again
    /// each round, as a request may ride a connection whose handshake was already counted.
    /// </summary>
    private async Task GrowsAsync(TutorialLine line)
    {
        var first = await RunAsync(line.AsTyped);
        Assert.True(first.ExitCode == 0 && line.Counter(first.Stdout) is not null, Failure(line, first));
        var before = line.Counter(first.Stdout)!.Value;
        var last = first;
        var deadline = DateTime.UtcNow + Patience;
        do
        {
            await FollowAsync([line.Traffic!]);
            last = await RunAsync(line.AsTyped);
        }
        while (!(line.Counter(last.Stdout) > before) && DateTime.UtcNow < deadline);
        Assert.True(line.Counter(last.Stdout) > before, $"{Failure(line, last)}\nstill at most {before} after: {line.Traffic!.AsTyped}");
    }

    private string Failure(TutorialLine line, CommandResult result) =>
        $"tutorial line: {line.Typed}\nran: {Typed(line)}\nexpected, in order:\n  {string.Join("\n  ", line.Shows)}\ngot: {result}\n{_mesh.Logs()}";
}
