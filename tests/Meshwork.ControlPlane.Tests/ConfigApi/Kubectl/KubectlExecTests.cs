using System.Diagnostics;
using Meshwork.ControlPlane.ConfigApi.PodExec;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <summary>
/// <c>kubectl exec</c> with the real kubectl over the WebSocket channel protocol, against a control
/// plane whose containers are plain local processes in a folder of their own: output on the right
/// streams, stdin through to the command, and the command's exit code as kubectl's own.
/// </summary>
public sealed class KubectlExecTests : IAsyncLifetime
{
    private ControlPlaneFixture _cp = null!;
    private string _home = null!;
    private KubectlRunner _kubectl = null!;
    private LocalContainers _containers = null!;

    public async Task InitializeAsync()
    {
        _home = Directory.CreateTempSubdirectory("meshwork-kubectl-exec-").FullName;
        _containers = new LocalContainers(_home);
        _cp = await ControlPlaneFixture.StartAsync(containerCommands: _containers);
        _kubectl = new KubectlRunner(_cp.State.KubeconfigFile, _home);
        var pod = Path.Combine(_home, "pod.yaml");
        await File.WriteAllTextAsync(pod, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: sleep-5d8f7b9c4-abcde
              namespace: default
              labels:
                app: sleep
            spec:
              containers:
              - name: sleep
                image: curlimages/curl
              - name: istio-proxy
                image: proxy:1
            """);
        await _kubectl.SucceedAsync("apply", "-f", pod);
    }

    public async Task DisposeAsync()
    {
        await _cp.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task A_nonzero_exit_is_printed_and_returned_as_kubectl_does_for_the_kubelet()
    {
        var result = await _kubectl.RunAsync("exec", "sleep-5d8f7b9c4-abcde", "-c", "sleep", "--",
            "sh", "-c", "echo to stdout; echo to stderr >&2; exit 56");

        Assert.True(result.ExitCode == 56, result.ToString());
        Assert.Equal("to stdout\n", result.Stdout);
        Assert.Equal(["to stderr", "command terminated with exit code 56"], result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_command_runs_in_the_named_container_and_a_zero_exit_is_success()
    {
        var result = await _kubectl.RunAsync("exec", "sleep-5d8f7b9c4-abcde", "-c", "istio-proxy", "--", "sh", "-c", "echo \"$CONTAINER\" in \"$(pwd)\"");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"istio-proxy in {_containers.Folder("istio-proxy")}\n", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Stdin_reaches_the_command_and_its_end_ends_the_command()
    {
        var input = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i}\n")); // larger than one relayed chunk
        var result = await _kubectl.RunWithInputAsync(input, "exec", "-i", "sleep-5d8f7b9c4-abcde", "-c", "sleep", "--", "wc", "-l");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("5000", result.Stdout.Trim());
    }

    [Fact]
    public async Task A_command_that_does_not_exist_exits_127_with_its_name_on_stderr()
    {
        var result = await _kubectl.RunAsync("exec", "sleep-5d8f7b9c4-abcde", "-c", "sleep", "--", "no-such-command-here");

        Assert.True(result.ExitCode == 127, result.ToString());
        Assert.Contains("exec: \"no-such-command-here\"", result.Stderr);
        Assert.Contains("command terminated with exit code 127", result.Stderr);
    }

    [Fact]
    public async Task A_pod_that_does_not_exist_is_reported_as_kubernetes_does()
    {
        var result = await _kubectl.RunAsync("exec", "nope", "--", "true");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error from server (NotFound): pods \"nope\" not found", result.Stderr.Trim());
    }

    /// <summary>Each container is a folder under the test's home, its command a real process started there.</summary>
    private sealed class LocalContainers(string root) : IContainerCommands
    {
        public string Folder(string container) => Path.Combine(root, "containers", container);

        public ContainerCommand Prepare(string @namespace, string pod, string container, IReadOnlyList<string> command)
        {
            var folder = Directory.CreateDirectory(Folder(container)).FullName;
            var start = new ProcessStartInfo(command[0])
            {
                WorkingDirectory = folder,
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var word in command.Skip(1)) start.ArgumentList.Add(word);
            start.Environment["CONTAINER"] = container;
            return ContainerCommand.Ready(start);
        }
    }
}
