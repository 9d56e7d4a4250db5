using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting.Status;
using Meshwork.Testing.Postgres;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// `meshwork server --store postgres://…` as operators run it: real processes on one PostgreSQL,
/// asked with `meshwork status`; the leader is killed with SIGKILL and the other replica takes over.
/// </summary>
public sealed class ServerReplicaProcessTests : IAsyncLifetime
{
    private static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "meshwork");
    private readonly string _work = Directory.CreateTempSubdirectory("meshwork-replicas-").FullName;
    private readonly List<Process> _servers = [];
    private PostgresServer? _postgres;

    private PostgresServer Postgres => _postgres!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
        if (_postgres is not null) await _postgres.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Killing_the_leading_replica_moves_the_lease_to_the_other_and_status_shows_it()
    {
        var store = Postgres.Url(await Postgres.CreateDatabaseAsync());
        var key = Path.Combine(_work, "mesh-ca.key");
        await File.WriteAllTextAsync(key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var a = await StartServerAsync("a", store, key);
        var b = await StartServerAsync("b", store, key);

        ControlPlaneStatus status = null!;
        await EventuallyAsync(async () =>
        {
            status = await StatusAsync(b.State);
            return status.Replicas.Length == 2 && status.Replicas.Count(r => r.Leader) == 1;
        }, "two replicas, one leading");
        var text = await RunAsync(b.State, "status");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Control plane: ready", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("postgres postgres://", text.Stdout, StringComparison.Ordinal);
        var leader = status.Replicas.Single(r => r.Leader);
        var (killed, survivor) = leader.Pid == a.Process.Id ? (a, b) : (b, a);

        killed.Process.Kill();
        await killed.Process.WaitForExitAsync();

        // The killed replica's row stays (silent) until the leader forgets it; its leader flag lapses with its heartbeat.
        await EventuallyAsync(async () =>
        {
            var now = await StatusAsync(survivor.State);
            return now.Ready && now.Replicas.Single(r => r.Leader) is { Self: true };
        }, "the surviving replica alone holds the lease");
    }

    [Fact]
    public async Task A_server_on_PostgreSQL_without_the_CA_key_file_refuses_to_start_and_says_how_to_make_one()
    {
        var store = Postgres.Url(await Postgres.CreateDatabaseAsync());
        var result = await RunAsync(new StateDirectory(Path.Combine(_work, "nokey")), "server", "--port", "0", "--store", store);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--ca-key-file", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("openssl rand", result.Stderr, StringComparison.Ordinal);
    }

    private sealed record Replica(StateDirectory State, Process Process);

    private async Task<Replica> StartServerAsync(string name, string store, string key)
    {
        var state = new StateDirectory(Path.Combine(_work, name));
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--state-dir", state.Root, "server", "--port", "0", "--store", store, "--ca-key-file", key }) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        _servers.Add(process);
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await EventuallyAsync(() => Task.FromResult(ServerInfo.Read(state) is not null || process.HasExited), $"replica {name} starts");
        if (process.HasExited) Assert.Fail($"replica {name} exited with {process.ExitCode}: {await stderr}");
        return new Replica(state, process);
    }

    private static async Task<ControlPlaneStatus> StatusAsync(StateDirectory state)
    {
        var result = await RunAsync(state, "status", "-o", "json");
        Assert.True(result.ExitCode is 0 or 2, $"meshwork status: exit {result.ExitCode}: {result.Stderr}");
        return JsonSerializer.Deserialize(result.Stdout, StatusJson.Default.ControlPlaneStatus)!;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(StateDirectory state, params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("--state-dir");
        info.ArgumentList.Add(state.Root);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within {seconds} s: {what}");
            await Task.Delay(500);
        }
    }
}
