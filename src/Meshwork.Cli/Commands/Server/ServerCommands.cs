using System.CommandLine;
using System.Net;
using Meshwork.ControlPlane.Hosting;

namespace Meshwork.Cli.Commands.Server;

/// <summary><c>meshwork server</c>: the control plane in the foreground, until Ctrl+C or SIGTERM.</summary>
public static class ServerCommands
{
    public static IEnumerable<Command> Create()
    {
        var port = new Option<int>("--port") { Description = $"HTTPS port of the config API and the proxies' endpoints (default {ControlPlaneOptions.DefaultPort}; 0 picks a free one)", DefaultValueFactory = _ => ControlPlaneOptions.DefaultPort };
        var listen = new Option<string>("--listen") { Description = "Address to listen on (default 127.0.0.1)", DefaultValueFactory = _ => "127.0.0.1" };
        var cacerts = new Option<string?>("--cacerts") { Description = "Directory with Istio's cacerts files (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem) to sign with instead of the self-signed root" };
        var trustDomain = new Option<string>("--trust-domain") { Description = "SPIFFE trust domain (default cluster.local)", DefaultValueFactory = _ => "cluster.local" };
        var store = new Option<string?>("--store")
        {
            Description = "PostgreSQL store that several replicas share, postgres://user@host:port/database (default: $MESHWORK_STORE, else the SQLite file of the state directory)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESHWORK_STORE") is { Length: > 0 } url ? url : null,
        };
        var caKeyFile = new Option<string?>("--ca-key-file")
        {
            Description = "With --store: the 256-bit key (base64 or hex) that encrypts the mesh's CA key in the store; the same file on every replica (default: $MESHWORK_CA_KEY_FILE)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESHWORK_CA_KEY_FILE") is { Length: > 0 } file ? file : null,
        };
        var certTtl = new Option<string?>("--workload-cert-ttl")
        {
            Description = "Lifetime of the workload certificates it signs, such as 24h or 30s (istiod's DEFAULT_WORKLOAD_CERT_TTL; default: $MESHWORK_WORKLOAD_CERT_TTL, else 24h)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MESHWORK_WORKLOAD_CERT_TTL") is { Length: > 0 } ttl ? ttl : null,
        };
        var command = new Command("server", "Run the control plane in the foreground") { port, listen, cacerts, trustDomain, store, caKeyFile, certTtl };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!IPAddress.TryParse(parse.GetValue(listen), out var address))
            {
                await error.WriteLineAsync($"error: --listen \"{parse.GetValue(listen)}\" is not an IP address").ConfigureAwait(false);
                return 1;
            }
            TimeSpan? workloadCertTtl;
            try { workloadCertTtl = parse.GetValue(certTtl) is { } ttl ? DurationArgument.Parse(ttl, "--workload-cert-ttl") : null; }
            catch (Resources.CliUsageException e)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            var state = GlobalOptions.ResolveStateDirectory(parse);
            var options = new ControlPlaneOptions
            {
                StateDirectory = state,
                Port = parse.GetValue(port),
                ListenAddress = address,
                CacertsDirectory = parse.GetValue(cacerts) is { } dir ? Path.GetFullPath(dir) : null,
                TrustDomain = parse.GetValue(trustDomain) ?? "cluster.local",
                StoreUrl = parse.GetValue(store),
                CaKeyFile = parse.GetValue(caKeyFile) is { } key ? Path.GetFullPath(key) : null,
                WorkloadCertificateTtl = workloadCertTtl,
                ContainerCommands = new RuntimeContainerCommands(state),
                PodPorts = new RuntimePodPorts(state),
            };
            RunningControlPlane running;
            try
            {
                running = await ControlPlaneHost.StartAsync(options, ct).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await error.WriteLineAsync($"error: cannot start the control plane: {address}:{options.Port} is already in use (another meshwork control plane, or another program): stop it (meshwork down), or choose another port with --port").ConfigureAwait(false);
                return 1;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException
                or Meshwork.CertificateAuthority.CaException or System.Security.Cryptography.CryptographicException)
            {
                await error.WriteLineAsync($"error: cannot start the control plane: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            await using (running.ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Meshwork control plane listening on {running.Url.ToString().TrimEnd('/')} (state directory {running.StateDirectory.Root}); Ctrl+C to stop").ConfigureAwait(false);
                await output.WriteLineAsync(KubectlHint.For(running.StateDirectory)).ConfigureAwait(false);
                try
                {
                    // Either the command line's cancellation (Ctrl+C) or the host's own signal handling (SIGTERM) ends the wait.
                    using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, running.Stopping);
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: stop cleanly (server.json is removed).
                }
            }
            return 0;
        });
        return [command, StatusCommand.Create()];
    }
}
