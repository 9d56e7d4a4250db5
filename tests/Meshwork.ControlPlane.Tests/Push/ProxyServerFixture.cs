using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using CertificateRequest = Meshwork.ProxyProtocol.ControlPlaneApi.CertificateRequest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Tests.Push;

/// <summary>
/// The proxy-facing endpoints on a real Kestrel at 127.0.0.1:0 (HTTPS, HTTP/2, client
/// certificates allowed but not required), with a real CA in a temporary state directory and
/// an in-memory mesh state the test changes.
/// </summary>
internal sealed class ProxyServerFixture : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token";

    private readonly WebApplication _app;
    private readonly string _stateDirectory;

    private ProxyServerFixture(WebApplication app, string stateDirectory, Uri address, CertificateAuthority.CertificateAuthority ca,
        BootstrapTokenAuthority tokens, InMemoryMeshStateSource mesh)
    {
        _app = app;
        _stateDirectory = stateDirectory;
        Address = address;
        Ca = ca;
        Tokens = tokens;
        Mesh = mesh;
    }

    public Uri Address { get; }
    public CertificateAuthority.CertificateAuthority Ca { get; }
    public BootstrapTokenAuthority Tokens { get; }
    public InMemoryMeshStateSource Mesh { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<ProxyServerFixture> StartAsync(MeshState initial, PushOptions? options = null)
    {
        var stateDirectory = Directory.CreateTempSubdirectory("meshwork-push-").FullName;
        var state = new StateDirectory(stateDirectory);
        await File.WriteAllTextAsync(state.AdminTokenFile, AdminToken);
        var ca = CertificateAuthority.CertificateAuthority.LoadOrCreateSelfSigned(stateDirectory, new CaOptions());
        var tokens = BootstrapTokenAuthority.LoadOrCreate(stateDirectory);
        var serving = ca.IssueServingCertificate(new SpiffeId("cluster.local", "istio-system", "istiod"), ["localhost"], [IPAddress.Loopback]);
        var mesh = new InMemoryMeshStateSource(initial);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            // The control plane host's TLS: a client certificate asked for, any chain accepted; the
            // endpoints verify it against the mesh trust bundle themselves.
            listen.UseHttps(ControlPlaneHttps.Options(serving, () => ca.TrustBundle));
        }));
        builder.Services.AddSingleton<IMeshStateSource>(mesh);
        builder.Services.AddSingleton(ca);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<IAdminAuthenticator>(AdminTokenAuthenticator.LoadOrCreate(state));
        if (options is not null) builder.Services.AddSingleton(options);
        ProxyServices.Add(builder.Services);
        global::Meshwork.ControlPlane.Observability.ObservabilityServices.Add(builder.Services);

        var app = builder.Build();
        ProxyServices.Map(app);
        global::Meshwork.ControlPlane.Observability.ObservabilityServices.Map(app);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ProxyServerFixture(app, stateDirectory, address, ca, tokens, mesh);
    }

    /// <summary>An HTTP/2 client that trusts only the mesh root, optionally presenting <paramref name="clientCertificate"/>.</summary>
    public HttpClient Client(X509Certificate2? clientCertificate = null) => MeshClient(Address, Ca.TrustBundle, clientCertificate);

    public static HttpClient MeshClient(Uri address, TrustBundle root, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && root.Verify(new X509Certificate2(certificate), [], DateTimeOffset.UtcNow, out _),
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return client;
    }

    /// <summary>Bootstrap-token → CSR → certificate, as a proxy does at start; returns a cert with its private key.</summary>
    public Task<X509Certificate2> EnrollAsync(string @namespace, string serviceAccount)
        => EnrollAsync(Client(), Tokens.Issue(@namespace, serviceAccount).Token, new SpiffeId("cluster.local", @namespace, serviceAccount));

    public static async Task<X509Certificate2> EnrollAsync(HttpClient client, string token, SpiffeId identity)
    {
        var (key, csr) = CsrFactory.Create(identity);
        using var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Certificates)
        {
            Content = JsonContent.Create(new CertificateRequest { Csr = csr }, ProtocolJson.Default.CertificateRequest),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var issued = (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.CertificateResponse))!;
        var credentials = WorkloadCredentials.FromSignedChain(key, issued.CertChain, TrustBundle.FromPem(issued.TrustBundle));
        client.Dispose();
        return credentials.Leaf;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_stateDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A proxy's end of the snapshot stream: reads envelopes line by line, skipping heartbeats.</summary>
internal sealed class TestStream : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private TestStream(HttpClient client, HttpResponseMessage response, StreamReader reader)
    {
        _client = client;
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<TestStream> OpenAsync(HttpClient client, ProxyRegistration registration)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Stream)
        {
            Content = JsonContent.Create(registration, ProtocolJson.Default.ProxyRegistration),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        return new TestStream(client, response, reader);
    }

    public async Task<SnapshotEnvelope> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException("the control plane closed the stream");
            if (line.Length == 0) continue;
            return JsonSerializer.Deserialize(line, ProtocolJson.Default.SnapshotEnvelope)!;
        }
    }

    /// <summary>The next line of a stream opened with <see cref="ProxyRegistration.Deltas"/>, and its size in bytes.</summary>
    public async Task<(SnapshotUpdate Update, int Bytes)> NextUpdateAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException("the control plane closed the stream");
            if (line.Length == 0) continue;
            return (JsonSerializer.Deserialize(line, ProtocolJson.Default.SnapshotUpdate)!, System.Text.Encoding.UTF8.GetByteCount(line));
        }
    }

    public async Task AckAsync(string proxyId, SnapshotUpdate update, string? error = null, bool resync = false)
    {
        var ack = new SnapshotAck { ProxyId = proxyId, Version = update.Version, Nonce = update.Nonce, Error = error, Resync = resync };
        using var response = await _client.PostAsJsonAsync(ControlPlanePaths.Acks, ack, ProtocolJson.Default.SnapshotAck);
        response.EnsureSuccessStatusCode();
    }

    public async Task AckAsync(SnapshotEnvelope envelope, string? error = null)
    {
        var ack = new SnapshotAck { ProxyId = envelope.Snapshot.Node.Id, Version = envelope.Snapshot.Version, Nonce = envelope.Nonce, Error = error };
        using var response = await _client.PostAsJsonAsync(ControlPlanePaths.Acks, ack, ProtocolJson.Default.SnapshotAck);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _client.Dispose();
        await Task.CompletedTask;
    }
}
