using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>
/// A control plane as the proxy sees it (linkerd's mock controller habit): real HTTPS with a serving
/// certificate from the test CA, CSR signing for one bootstrap token, a snapshot stream the test feeds, and recorded ACKs.
/// </summary>
public sealed class MockControlPlane : IAsyncDisposable
{
    public const string Token = "bootstrap-token-for-tests";
    private readonly WebApplication _app;
    private readonly Channel<SnapshotUpdate> _pushes = Channel.CreateUnbounded<SnapshotUpdate>();

    public ConcurrentQueue<SnapshotAck> Acks { get; } = new();
    public ConcurrentQueue<string> CertificateRequests { get; } = new();   // "token" or "certificate"
    public ConcurrentQueue<ProxyRegistration> Registrations { get; } = new();
    public Uri Url { get; }
    public string RootFile { get; }

    private MockControlPlane(WebApplication app, Uri url, string rootFile) { _app = app; Url = url; RootFile = rootFile; }

    public void Push(ProxySnapshot snapshot) => _pushes.Writer.TryWrite(new SnapshotUpdate { Nonce = Guid.NewGuid().ToString("n"), Snapshot = snapshot });

    /// <summary>Sends a delta line, as the control plane does to a proxy that registered for deltas.</summary>
    public void Push(SnapshotDelta delta) => _pushes.Writer.TryWrite(new SnapshotUpdate { Nonce = Guid.NewGuid().ToString("n"), Delta = delta });

    public static async Task<MockControlPlane> StartAsync(TestCertificateAuthority ca, string directory, SpiffeId workload, TimeSpan? certificateTtl = null)
    {
        var authority = ca.ToCertificateAuthority();
        var serving = authority.IssueServingCertificate(authority.ControlPlaneIdentity, ["localhost"], [IPAddress.Loopback]);
        var rootFile = Path.Combine(directory, "control-plane-root.pem");
        await File.WriteAllTextAsync(rootFile, ca.Root.ExportCertificatePem());

        MockControlPlane? self = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serving.Leaf,
                ServerCertificateChain = serving.IntermediateCollection,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (c, _, _) => c is { } leaf && ca.TrustBundle.Verify(leaf, ca.Intermediates, DateTimeOffset.UtcNow, out _),
            });
        }));
        var app = builder.Build();
        app.MapPost(ControlPlanePaths.Certificates, async (HttpContext c) =>
        {
            var viaToken = c.Request.Headers.Authorization.ToString() == $"Bearer {Token}";
            var viaCert = c.Connection.ClientCertificate is not null;
            if (!viaToken && !viaCert) return Results.Text("no credential", statusCode: 401);
            self!.CertificateRequests.Enqueue(viaCert ? "certificate" : "token");
            var request = await JsonSerializer.DeserializeAsync(c.Request.Body, ProtocolJson.Default.CertificateRequest);
            var chain = authority.Sign(request!.Csr, workload, certificateTtl);
            return Results.Json(new CertificateResponse { CertChain = chain, TrustBundle = ca.TrustBundle.ToPem() }, ProtocolJson.Default.CertificateResponse);
        });
        app.MapPost(ControlPlanePaths.Stream, async (HttpContext c) =>
        {
            if (c.Connection.ClientCertificate is null) { c.Response.StatusCode = 401; return; }
            var registration = await JsonSerializer.DeserializeAsync(c.Request.Body, ProtocolJson.Default.ProxyRegistration);
            self!.Registrations.Enqueue(registration!);
            c.Response.ContentType = "application/x-ndjson";
            await c.Response.StartAsync();
            try
            {
                await foreach (var envelope in self._pushes.Reader.ReadAllAsync(c.RequestAborted))
                {
                    await c.Response.WriteAsync(JsonSerializer.Serialize(envelope, ProtocolJson.Default.SnapshotUpdate) + "\n", c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
        });
        app.MapPost(ControlPlanePaths.Acks, async (HttpContext c) =>
        {
            if (c.Connection.ClientCertificate is null) return Results.StatusCode(401);
            self!.Acks.Enqueue((await JsonSerializer.DeserializeAsync(c.Request.Body, ProtocolJson.Default.SnapshotAck))!);
            return Results.NoContent();
        });
        await app.StartAsync();
        self = new MockControlPlane(app, new Uri(app.Urls.First().Replace("127.0.0.1", "127.0.0.1")), rootFile);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        _pushes.Writer.TryComplete();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
