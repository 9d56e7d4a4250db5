using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Meshwork.Testing.Postgres;

/// <summary>
/// A real PostgreSQL from the machine's packages, private to a test run: initdb in a temporary
/// directory, the server on a free 127.0.0.1 port with its Unix socket in that directory, stopped
/// and removed on dispose. PostgreSQL refuses to run as root, so under root the server runs as the
/// packages' <c>postgres</c> user (setpriv, which execs: the process we hold is the postmaster).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "meshwork";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private readonly string _bin;
    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private Process? _postmaster;
    private int _databases;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>What the server wrote to its log so far (for a failing test's message).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Creates the cluster and starts the server.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindBinaries();
        var directory = Directory.CreateTempSubdirectory("meshwork-pg-").FullName;
        var server = new PostgresServer(bin, directory, FreePort());
        try
        {
            if (RunsAsRoot) await RunAsync("chown", ["postgres:postgres", directory], cancellationToken).ConfigureAwait(false);
            await RunAsync(AsServerUser(Path.Combine(bin, "initdb")).Concat([
                "-D", server.DataDirectory, "-U", User, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
            ]).ToArray(), cancellationToken).ConfigureAwait(false);
            await server.StartAgainAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A libpq URL of <paramref name="database"/>, as an operator writes it.</summary>
    public string Url(string database) => $"postgres://{User}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = User,
        Database = database,
        Timeout = 15,
        CommandTimeout = 60,
    }.ConnectionString;

    /// <summary>A new, empty database; returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = $"meshwork_{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on the same port and data, and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        if (_postmaster is { HasExited: false }) throw new InvalidOperationException("the server is running");
        var socketDirectory = _directory;
        var arguments = AsServerUser(Path.Combine(_bin, "postgres")).Concat([
            "-D", DataDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-k", socketDirectory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200", "-c", "shared_buffers=16MB",
        ]).ToArray();
        var start = new ProcessStartInfo(arguments[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments.Skip(1)) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        var process = Process.Start(start) ?? throw new InvalidOperationException("postgres did not start");
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _postmaster = process;
        // A test host that ends without disposing must not leave a server behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillIfRunning(process);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"postgres exited with {process.ExitCode}:\n{Log}");
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false;Timeout=5");
                await connection.OpenAsync(deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException) when (!deadline.IsCancellationRequested)
            {
                await Task.Delay(200, deadline.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops the server as an operator's restart does (fast shutdown: clients are disconnected).</summary>
    public async Task StopAsync()
    {
        if (_postmaster is not { } process) return;
        _postmaster = null;
        using (process)
        {
            if (process.HasExited) return;
            await RunAsync("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)], CancellationToken.None).ConfigureAwait(false);
            using var deadline = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void KillIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            // Bounded: only the end of a long log helps.
            if (_log.Length > 64_000) _log.Remove(0, 32_000);
            _log.AppendLine(line);
        }
    }

    private static bool RunsAsRoot => Environment.UserName == "root";

    private static string[] AsServerUser(string program) =>
        RunsAsRoot ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--", program] : [program];

    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("MESHWORK_POSTGRES_BIN") is { Length: > 0 } configured) return configured;
        var root = "/usr/lib/postgresql";
        var found = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "bin", "postgres")))
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "bin"))
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql), or set MESHWORK_POSTGRES_BIN");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsync(string program, string[] arguments, CancellationToken cancellationToken) =>
        RunAsync([program, .. arguments], cancellationToken);

    private static async Task RunAsync(string[] command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command[0]} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        }
    }
}
