using System.CommandLine;
using Meshwork.Api;
using Meshwork.Cli.Commands;
using Meshwork.Cli.Commands.Diagnostics;
using Meshwork.Cli.Commands.Resources;
using Meshwork.ControlPlane.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.Cli.Tests;

/// <summary>
/// A state directory in a temporary folder, optionally with a real control plane on 127.0.0.1:0, and
/// the CLI's resource and diagnostic verbs run in-process against it, output captured.
/// </summary>
public sealed class CliHarness : IAsyncLifetime
{
    private readonly bool _withControlPlane;
    private RunningControlPlane? _server;

    public CliHarness(bool withControlPlane)
    {
        _withControlPlane = withControlPlane;
        State = new StateDirectory(Path.Combine(Work, "state"));
    }

    public string Work { get; } = Directory.CreateTempSubdirectory("meshwork-cli-").FullName;
    public StateDirectory State { get; }

    public async Task InitializeAsync()
    {
        if (!_withControlPlane) return;
        _server = await ControlPlaneHost.StartAsync(new ControlPlaneOptions { StateDirectory = State, Port = 0, ConfigureLogging = l => l.ClearProviders() }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }

    public async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand("meshwork");
        GlobalOptions.AddTo(root);
        foreach (var command in ResourceCommands.Create().Concat(DiagnosticCommands.Create())) root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(["--state-dir", State.Root, .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Writes a file in the work folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(Work, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A file of the tutorials' manifests, copied next to the tests.</summary>
    public static string Sample(string path) => Path.Combine(AppContext.BaseDirectory, "samples", path);
}
