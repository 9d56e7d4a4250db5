using System.Net;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.ConfigApi;
using Meshwork.ControlPlane.ConfigApi.Events;
using Meshwork.Identity;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Meshwork.ControlPlane.Hosting.Replication;
using Meshwork.ControlPlane.Hosting.Status;
using Meshwork.Store.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// The composition root of <c>meshwork server</c>: state directory, CA, admin token, store, mesh
/// state, and one HTTPS listener (HTTP/1.1 and HTTP/2) serving the config API and the proxies.
/// </summary>
public static partial class ControlPlaneHost
{
    /// <summary>Namespaces that exist from the first start, as in a Kubernetes cluster with Istio.</summary>
    public static readonly IReadOnlyList<string> InitialNamespaces = ["default", "istio-system"];

    public static async Task<RunningControlPlane> StartAsync(ControlPlaneOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = options.StateDirectory;
        CreatePrivateDirectory(state.Root);
        if (ServerInfo.Read(state) is { } running && running.ProcessIsAlive())
        {
            throw new InvalidOperationException(
                $"a control plane is already running for state directory {state.Root} (pid {running.Pid}, {running.Url}); stop it first or use another --state-dir");
        }

        var store = await ControlPlaneStore.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        WebApplication? app = null;
        try
        {
            await EnsureInitialNamespacesAsync(store, cancellationToken).ConfigureAwait(false);
            var caOptions = new CaOptions { TrustDomain = options.TrustDomain, Time = options.Time };
            if (options.WorkloadCertificateTtl is { } ttl) caOptions = caOptions with { DefaultTtl = ttl };
            var istiod = await EnsureControlPlaneDeploymentAsync(store, cancellationToken).ConfigureAwait(false);
            var (ca, cacertsWarning) = await LoadCaAsync(options, caOptions, store, cancellationToken).ConfigureAwait(false);
            CaSource.WriteRootCertificates(state, ca.TrustBundle);
            var admin = AdminTokenAuthenticator.LoadOrCreate(state);
            var bootstrapTokens = BootstrapTokenAuthority.LoadOrCreate(state.Root, options.Time, new StoreRedeemedTokens(store));
            // Proxies pin the control plane's root when they start. After a switch to a plugged-in CA the
            // control plane keeps presenting a certificate of the self-signed root they pinned (the trust
            // bundle still carries it), so running proxies reconnect and renew onto the new CA.
            var servingCa = !ca.IsSelfSigned && File.Exists(Path.Combine(CaFiles.SelfSignedDirectory(state.Root), CaFiles.CaKey))
                ? CertificateAuthority.CertificateAuthority.LoadOrCreateSelfSigned(state.Root, caOptions)
                : ca;
            CertificateAuthority.CertificateAuthority trustSource = ca;
            var serving = servingCa.IssueServingCertificate(
                new SpiffeId(options.TrustDomain, "istio-system", "istiod"),
                ["localhost", "istiod", "istiod.istio-system.svc", "istiod.istio-system.svc.cluster.local"],
                ServingAddresses(options.ListenAddress));

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(ControlPlaneHost).Assembly.GetName().Name,
                ContentRootPath = state.Root,
            });
            if (options.ConfigureLogging is { } configureLogging)
            {
                configureLogging(builder.Logging);
            }
            else
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)
                    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
                    .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
            }
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
                kestrel.Listen(options.ListenAddress, options.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    // Proxies authenticate with mesh certificates; the endpoints that need one verify it
                    // against the current trust bundle themselves, where a refusal can be explained.
                    kestrel.ApplicationServices.GetRequiredService<Push.TlsHandshakeGate>().UseHttps(listen,
                        Push.ControlPlaneHttps.Options(serving, () => trustSource.TrustBundle));
                });
            });
            builder.Services.AddRoutingCore();

            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(state);
            builder.Services.AddSingleton(options.Time);
            builder.Services.AddSingleton(ca);
            builder.Services.AddSingleton(caOptions);
            builder.Services.AddSingleton<IstiodRestart>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<IstiodRestart>());
            builder.Services.AddSingleton(bootstrapTokens);
            builder.Services.AddSingleton<IAdminAuthenticator>(admin);
            builder.Services.AddSingleton<IResourceStore>(store);
            builder.Services.AddSingleton<StoreHealth>();
            var replica = new ReplicaIdentity();
            builder.Services.AddSingleton(replica);
            if (store is PostgresResourceStore postgres)
            {
                builder.Services.AddSingleton(postgres);
                builder.Services.AddSingleton<ReplicaHeartbeat>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaHeartbeat>());
            }
            builder.Services.AddSingleton<StoreMeshStateSource>();
            builder.Services.AddSingleton<IMeshStateSource>(sp => sp.GetRequiredService<StoreMeshStateSource>());
            if (options.ContainerCommands is { } containerCommands) builder.Services.AddSingleton(containerCommands);
            if (options.PodPorts is { } podPorts) builder.Services.AddSingleton(podPorts);
            builder.Services.AddSingleton(new ConfigApiOptions { MaxRequestBodyBytes = options.MaxRequestBodyBytes });
            builder.Services.AddSingleton<EventLog>();
            Push.ProxyServices.Add(builder.Services);
            Observability.ObservabilityServices.Add(builder.Services);
            Dashboard.DashboardEndpoints.Add(builder.Services);

            app = builder.Build();
            var mesh = app.Services.GetRequiredService<StoreMeshStateSource>();
            await mesh.StartAsync(cancellationToken).ConfigureAwait(false);
            app.Services.GetRequiredService<IstiodRestart>().Started(istiod);
            app.UseConfigApiAuthentication();
            app.UseWebSockets(ConfigApi.PodExec.PodExecEndpoint.WebSocketOptions);
            app.MapConfigApi();
            Push.ProxyServices.Map(app);
            Observability.ObservabilityServices.Map(app);
            Dashboard.DashboardEndpoints.Map(app);
            StatusEndpoints.Map(app);

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var url = ServedUrl(app, options);
            replica.Url = url.ToString().TrimEnd('/');
            var info = new ServerInfo(url.ToString().TrimEnd('/'), Environment.ProcessId);
            AtomicFile.WriteAllText(state.ServerInfoFile, info.ToJson(), AtomicFile.Public);
            AtomicFile.WriteAllText(state.KubeconfigFile, Kubeconfig.Render(info.Url, File.ReadAllText(state.RootCertFile), File.ReadAllText(state.AdminTokenFile).Trim()), AtomicFile.Private);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ControlPlaneHost).FullName!);
            if (cacertsWarning is not null) Log.CacertsIgnored(logger, cacertsWarning);
            Log.Listening(logger, info.Url, state.Root, options.TrustDomain);
            return new RunningControlPlane(app, url, state, info, store, mesh);
        }
        catch
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The CA as istiod takes it up when it starts (see <see cref="CaSource"/>). A cacerts secret that cannot
    /// be used does not keep the control plane down, since the user could not delete it through the API then:
    /// the self-signed root signs, with a warning. A --cacerts directory that cannot be used stops the start.
    /// </summary>
    private static async Task<(CertificateAuthority.CertificateAuthority Ca, string? Warning)> LoadCaAsync(
        ControlPlaneOptions options, CaOptions caOptions, IResourceStore store, CancellationToken cancellationToken)
    {
        var load = await CaSource.LoadAsync(options, caOptions, store, cancellationToken).ConfigureAwait(false);
        if (load.Ca is { } ca) return (ca, null);
        if (options.CacertsDirectory is not null) throw new CaException(CaErrorKind.BadCaConfiguration, load.Problem!);
        return (CertificateAuthority.CertificateAuthority.LoadOrCreateSelfSigned(options.StateDirectory.Root, caOptions),
            $"{load.Problem}; signing with the self-signed root instead");
    }

    /// <summary>istiod's Deployment, written at the first start (see <see cref="ControlPlaneDeployment"/>); the stored one after that.</summary>
    private static async Task<Deployment> EnsureControlPlaneDeploymentAsync(IResourceStore store, CancellationToken cancellationToken)
    {
        var key = new ResourceKey("Deployment", ControlPlaneDeployment.Namespace, ControlPlaneDeployment.Name);
        if (await store.FindAsync(key, cancellationToken).ConfigureAwait(false) is Deployment stored) return stored;
        try
        {
            return (Deployment)await store.CreateAsync(ControlPlaneDeployment.Create(), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Kind == StoreErrorKind.AlreadyExists)
        {
            // Created concurrently by another replica.
            return await store.FindAsync(key, cancellationToken).ConfigureAwait(false) as Deployment ?? ControlPlaneDeployment.Create();
        }
    }

    private static async Task EnsureInitialNamespacesAsync(IResourceStore store, CancellationToken cancellationToken)
    {
        foreach (var name in InitialNamespaces)
        {
            if (await store.FindAsync(new ResourceKey("Namespace", null, name), cancellationToken).ConfigureAwait(false) is not null) continue;
            try
            {
                await store.CreateAsync(new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } }, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Kind == StoreErrorKind.AlreadyExists)
            {
                // Created concurrently; fine.
            }
        }
    }

    private static Uri ServedUrl(WebApplication app, ControlPlaneOptions options)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var port = options.Port;
        foreach (var address in addresses)
        {
            if (Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)) port = uri.Port;
        }
        var host = options.ListenAddress.Equals(IPAddress.Any) || options.ListenAddress.Equals(IPAddress.IPv6Any)
            ? "127.0.0.1"
            : options.ListenAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.ListenAddress}]" : options.ListenAddress.ToString();
        return new Uri($"https://{host}:{port}");
    }

    private static IEnumerable<IPAddress> ServingAddresses(IPAddress listen)
    {
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (!listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any) && !addresses.Contains(listen)) addresses.Add(listen);
        return addresses;
    }

    internal static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
