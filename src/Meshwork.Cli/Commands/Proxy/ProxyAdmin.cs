using System.Net;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>
/// The admin API of one pod's proxy (Envoy's paths on port 15000 of the pod), as istioctl reaches
/// Envoy's: the address comes from the proxy container's own environment, so the CLI asks the
/// listener the proxy really bound. Every call is bounded in time and in body size.
/// </summary>
internal sealed class ProxyAdmin : IDisposable
{
    /// <summary>A config dump of a large mesh is a few megabytes; anything beyond this is not a proxy's answer.</summary>
    private const int MaxBody = 32 * 1024 * 1024;
    private readonly HttpClient _http;

    private ProxyAdmin(Uri baseAddress, TimeSpan timeout)
    {
        // No proxy from the environment: the tutorials' shells often export http_proxy, and the admin API is local.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = timeout })
        {
            BaseAddress = baseAddress,
            Timeout = timeout,
            MaxResponseContentBufferSize = MaxBody,
        };
    }

    public static ProxyAdmin For(PodRecord pod, TimeSpan? timeout = null) => new(new Uri($"http://{AddressOf(pod)}/"), timeout ?? TimeSpan.FromSeconds(15));

    /// <summary>The admin listener the pod's proxy container was told to bind, else the pod IP and Envoy's port 15000.</summary>
    internal static string AddressOf(PodRecord pod)
    {
        var proxy = pod.Containers.FirstOrDefault(c => c.Name == SidecarInjection.SidecarContainerName);
        if (proxy?.Environment.GetValueOrDefault(ProxyEnvironment.AdminAddress) is { } configured && IPEndPoint.TryParse(configured, out var endPoint) && endPoint.Port > 0)
        {
            return endPoint.ToString();
        }
        return IPAddress.TryParse(pod.PodIp, out var ip) ? new IPEndPoint(ip, 15000).ToString() : $"{pod.PodIp}:15000";
    }

    public async Task<string> GetAsync(string pathAndQuery, CancellationToken cancellationToken) => await SendAsync(HttpMethod.Get, pathAndQuery, cancellationToken).ConfigureAwait(false);

    public async Task<string> PostAsync(string pathAndQuery, CancellationToken cancellationToken) => await SendAsync(HttpMethod.Post, pathAndQuery, cancellationToken).ConfigureAwait(false);

    private async Task<string> SendAsync(HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ProxyAdminException($"the proxy's admin API answered {(int)response.StatusCode} to {method} /{pathAndQuery}: {body.Trim()}");
        }
        return body;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The proxy's admin API refused a request; the message says what it answered.</summary>
internal sealed class ProxyAdminException(string message) : Exception(message);
