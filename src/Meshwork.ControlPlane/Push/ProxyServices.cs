using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.Registry;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// The proxy-facing half of the control plane, as the host wires it: the CA endpoint, bootstrap
/// tokens, the snapshot stream and ACKs, and the proxy registry. Expects in DI:
/// <c>IMeshStateSource</c>, <c>CertificateAuthority</c>, <c>BootstrapTokenAuthority</c> and
/// <c>IAdminAuthenticator</c>. Kestrel must allow (not require) client certificates on the HTTPS port
/// and accept any chain: the endpoints check the chain against the mesh trust bundle themselves. The
/// port's HTTPS goes through <see cref="TlsHandshakeGate.UseHttps"/>, so that a connect storm is handshaken a few at a time.
/// </summary>
public static class ProxyServices
{
    public static IServiceCollection Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new PushOptions());
        services.TryAddSingleton<ProxyRegistry>();
        services.TryAddSingleton<ConnectAdmission>();
        services.TryAddSingleton<TlsHandshakeGate>();
        services.TryAddSingleton<Ca.IssuedCertificates>();
        services.TryAddSingleton(sp => new ProxySnapshotFactory(() => sp.GetRequiredService<CertificateAuthority.CertificateAuthority>().TrustBundle));
        services.TryAddSingleton<SnapshotPusher>();
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotPusher>());
        services.TryAddSingleton<MeshCallerAuthenticator>();
        services.TryAddSingleton<CertificateRateLimiter>();
        services.TryAddSingleton<CertificateEndpoints>();
        services.TryAddSingleton<StreamEndpoints>();
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(ControlPlanePaths.Certificates, (HttpContext c, CertificateEndpoints e) => e.IssueAsync(c));
        app.MapPost(ControlPlanePaths.BootstrapTokens, (HttpContext c, CertificateEndpoints e) => e.IssueBootstrapTokenAsync(c));
        app.MapPost(ControlPlanePaths.Stream, (HttpContext c, StreamEndpoints e) => e.StreamAsync(c));
        app.MapPost(ControlPlanePaths.Acks, (HttpContext c, StreamEndpoints e) => e.AckAsync(c));
        app.MapGet(ProxyStatus.StatusPath, (HttpContext c, ProxyRegistry registry) =>
            AdminGate.Refuse(c) ?? Results.Json(registry.List().ToArray(), RegistryJson.Default.ProxyStatusArray));
        return app;
    }

    /// <summary>The overload the host calls.</summary>
    public static WebApplication Map(WebApplication app)
    {
        Map((IEndpointRouteBuilder)app);
        return app!;
    }
}
