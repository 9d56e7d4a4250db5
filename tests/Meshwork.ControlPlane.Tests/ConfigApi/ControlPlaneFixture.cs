using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.ControlPlane.ConfigApi.PodExec;
using Meshwork.ControlPlane.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Tests.ConfigApi;

/// <summary>A real control plane on 127.0.0.1:0 in a temporary state directory.</summary>
public sealed class ControlPlaneFixture : IAsyncDisposable
{
    private ControlPlaneFixture(StateDirectory state, RunningControlPlane running)
    {
        State = state;
        Running = running;
    }

    public StateDirectory State { get; }
    public RunningControlPlane Running { get; private set; }
    public Uri Url => Running.Url;

    public static async Task<ControlPlaneFixture> StartAsync(string? root = null, long maxBodyBytes = 4 * 1024 * 1024, IContainerCommands? containerCommands = null)
    {
        var state = new StateDirectory(root ?? Directory.CreateTempSubdirectory("meshwork-cp-").FullName);
        var options = Options(state, maxBodyBytes) with { ContainerCommands = containerCommands };
        return new ControlPlaneFixture(state, await ControlPlaneHost.StartAsync(options, CancellationToken.None));
    }

    /// <summary>A control plane with the given options (their state directory is removed on dispose).</summary>
    public static async Task<ControlPlaneFixture> StartAsync(ControlPlaneOptions options) =>
        new(options.StateDirectory, await ControlPlaneHost.StartAsync(options, CancellationToken.None));

    public static ControlPlaneOptions Options(StateDirectory state, long maxBodyBytes = 4 * 1024 * 1024) => new()
    {
        StateDirectory = state,
        Port = 0,
        MaxRequestBodyBytes = maxBodyBytes,
        ConfigureLogging = logging => logging.ClearProviders(),
    };

    public async Task RestartAsync()
    {
        await Running.StopAsync();
        Running = await ControlPlaneHost.StartAsync(Options(State), CancellationToken.None);
    }

    public MeshApiClient Client() => MeshApiClient.FromStateDirectory(State);

    /// <summary>A plain HttpClient that trusts the mesh root (and nothing else), with or without the admin token.</summary>
    public HttpClient RawClient(string? token = "admin", Version? version = null)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(State.RootCertFile);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is not null && chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        var client = new HttpClient(handler) { BaseAddress = Url };
        if (version is not null)
        {
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        if (token == "admin") token = File.ReadAllText(State.AdminTokenFile).Trim();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<(HttpStatusCode Code, JsonNode Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    public async ValueTask DisposeAsync()
    {
        await Running.DisposeAsync();
        try { Directory.Delete(State.Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
