using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting.Status;
using Meshwork.ControlPlane.Registry;
using Meshwork.Runtime.Network;
using Meshwork.Testing.Postgres;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Control-plane replicas as operators run them: one PostgreSQL, `meshwork server --store postgres://…`
/// processes each with its own state directory, and the CLI run as a process against them. Every
/// process started here is killed and every file removed on dispose.
/// </summary>
public sealed class ReplicaProcesses : IAsyncDisposable
{
    public static readonly string Executable = Path.Combine(AppContext.BaseDirectory, "meshwork");
    private readonly List<Process> _processes = [];
    private PostgresServer? _postgres;

    public string Work { get; } = Directory.CreateTempSubdirectory("meshwork-replicas-").FullName;

    public PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("call StartPostgresAsync first");

    public async Task StartPostgresAsync() => _postgres = await PostgresServer.StartAsync();

    /// <summary>A fresh database and the CA key file every replica of it is given.</summary>
    public async Task<(string Store, string KeyFile)> CreateMeshAsync()
    {
        var store = Postgres.Url(await Postgres.CreateDatabaseAsync());
        var key = Path.Combine(Work, $"mesh-ca-{Guid.NewGuid():N}.key");
        await File.WriteAllTextAsync(key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return (store, key);
    }

    public sealed record Replica(string Name, StateDirectory State, Process Process, StringBuilder Log)
    {
        public string Url => ServerInfo.Read(State)?.Url ?? throw new InvalidOperationException($"replica {Name} recorded no URL");

        /// <summary>The replica's output so far (its last 64 KB), for a failure's message.</summary>
        public override string ToString()
        {
            lock (Log) return $"replica {Name}:\n{Log}";
        }
    }

    /// <summary>
    /// Starts replica <paramref name="name"/> (again, after a kill: same state directory), on a free port of this machine's
    /// loopback, or in <paramref name="host"/> on its address and the default port, so that a restart keeps its URL.
    /// </summary>
    public async Task<Replica> StartServerAsync(string name, string store, string key, HostNetwork.Host? host = null)
    {
        var state = new StateDirectory(Path.Combine(Work, name));
        // What a killed replica left would read as this one having started.
        if (File.Exists(state.ServerInfoFile)) File.Delete(state.ServerInfoFile);
        string[] listen = host is null ? ["--port", "0"] : ["--listen", host.Address.ToString(), "--port", "15443"];
        var process = Start(["--state-dir", state.Root, "server", .. listen, "--store", store, "--ca-key-file", key], environment: null, out var stderr, host?.Name);
        await EventuallyAsync(() => Task.FromResult(ServerInfo.Read(state) is not null || process.HasExited), $"replica {name} starts");
        if (process.HasExited) Assert.Fail($"replica {name} exited with {process.ExitCode}: {stderr}");
        return new Replica(name, state, process, stderr);
    }

    /// <summary>
    /// Starts `meshwork` with <paramref name="arguments"/> in the background (in network namespace <paramref name="netns"/>
    /// when given); its stderr is kept (the last 64 KB) in <paramref name="stderr"/>.
    /// </summary>
    public Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, out StringBuilder stderr, string? netns = null) =>
        StartProgram(Executable, arguments, environment, out stderr, netns);

    /// <summary>Starts <paramref name="program"/> as <see cref="Start"/> does; it is killed on dispose.</summary>
    public Process StartProgram(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, out StringBuilder stderr, string? netns = null)
    {
        var info = Launch(netns, program, arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = Process.Start(info)!;
        lock (_processes) _processes.Add(process);
        var log = stderr = new StringBuilder();
        void Keep(string? line)
        {
            if (line is null) return;
            lock (log)
            {
                if (log.Length > 64_000) log.Remove(0, 32_000);
                log.AppendLine(line);
            }
        }
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Writes a file in the work folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(Work, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static async Task KillAsync(Process process)
    {
        process.Kill(); // SIGKILL
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
    }

    /// <summary>The status of the replica's <c>/readyz</c>, its certificate checked against the mesh root; 0 when it did not answer.</summary>
    public static async Task<HttpStatusCode> ReadyAsync(Replica replica)
    {
        using var http = MeshClient(replica.State);
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(replica.Url), "/readyz"));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0; // No answer (in time): neither ready nor not ready, so a poll goes on.
        }
    }

    /// <summary>An HTTPS client that trusts the mesh root of <paramref name="state"/> only (30 s per request).</summary>
    public static HttpClient MeshClient(StateDirectory state)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(state.RootCertFile);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck },
            },
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        return new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>`meshwork status -o json` against the state directory's replica, or against <paramref name="server"/> (from <paramref name="netns"/>).</summary>
    public static async Task<ControlPlaneStatus> StatusAsync(StateDirectory state, string? server = null, string? netns = null)
    {
        var result = server is null ? await RunInAsync(netns, state, "status", "-o", "json") : await RunInAsync(netns, state, "--server", server, "status", "-o", "json");
        Assert.True(result.ExitCode is 0 or 2, $"meshwork status: exit {result.ExitCode}: {result.Stderr}");
        return JsonSerializer.Deserialize(result.Stdout, StatusJson.Default.ControlPlaneStatus)!;
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(StateDirectory state, params string[] args) => RunInAsync(null, state, args);

    /// <summary>The proxies streaming from <paramref name="replica"/> (`meshwork proxy-status -o json` against it, from <paramref name="netns"/>).</summary>
    public static async Task<ProxyStatus[]> ProxiesAsync(Replica replica, string? netns = null)
    {
        var result = await RunInAsync(netns, replica.State, "--server", replica.Url, "proxy-status", "-o", "json");
        if (result.ExitCode != 0) return [];
        return [.. (JsonSerializer.Deserialize(result.Stdout, RegistryJson.Default.ProxyStatusArray) ?? []).Where(p => p.DisconnectedAt is null)];
    }

    /// <summary>The CLI with <paramref name="args"/>, run in network namespace <paramref name="netns"/> (null: this process's).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunInAsync(string? netns, StateDirectory state, params string[] args)
    {
        var info = Launch(netns, Executable, ["--state-dir", state.Root, .. args]);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>How <paramref name="program"/> is started: directly, or in network namespace <paramref name="netns"/> through nsenter (which execs it).</summary>
    private static ProcessStartInfo Launch(string? netns, string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(netns is null ? program : "nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (netns is not null)
        {
            info.ArgumentList.Add($"--net={MeshNetworkNames.NamespacePath(netns)}");
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>Polls <paramref name="condition"/> every half second until it holds; fails after <paramref name="seconds"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within {seconds} s: {what}");
            await Task.Delay(500);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Process> processes;
        lock (_processes) processes = [.. _processes];
        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
            process.Dispose();
        }
        if (_postgres is not null) await _postgres.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
