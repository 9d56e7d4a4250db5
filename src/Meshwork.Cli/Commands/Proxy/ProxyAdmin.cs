using System.Net;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>
/// The admin API of one pod's proxy (Envoy's paths on port 15000 of the pod), as istioctl reaches
/// Envoy's: the address comes from the proxy container's own environment, so the CLI asks the
/// listener the proxy really bound. Every call is bounded in time and in body size. In the pod
/// network mode that listener answers only inside the pod, so the call runs there, in the proxy
/// container (as istioctl runs `pilot-agent request` through `kubectl exec`).
/// </summary>
internal sealed class ProxyAdmin : IDisposable
{
    /// <summary>A config dump of a large mesh is a few megabytes; anything beyond this is not a proxy's answer.</summary>
    private const int MaxBody = 32 * 1024 * 1024;
    private readonly HttpClient _http;
    private readonly ContainerRecord? _insidePod;
    private readonly TimeSpan _timeout;

    private ProxyAdmin(Uri baseAddress, TimeSpan timeout, ContainerRecord? insidePod)
    {
        _insidePod = insidePod;
        _timeout = timeout;
        // No proxy from the environment: the tutorials' shells often export http_proxy, and the admin API is local.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = timeout })
        {
            BaseAddress = baseAddress,
            Timeout = timeout,
            MaxResponseContentBufferSize = MaxBody,
        };
    }

    public static ProxyAdmin For(PodRecord pod, TimeSpan? timeout = null)
    {
        var proxy = pod.Containers.FirstOrDefault(c => c.Name == SidecarInjection.SidecarContainerName);
        // A proxy running as a user of its own, in its pod's namespaces: its admin listener is the pod's localhost.
        var insidePod = proxy is { Uid: not null, Pid: not null } ? proxy : null;
        return new(new Uri($"http://{AddressOf(pod)}/"), timeout ?? TimeSpan.FromSeconds(15), insidePod);
    }

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
        if (_insidePod is { } container) return await SendInsidePodAsync(container, method, pathAndQuery, cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(method, pathAndQuery);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ProxyAdminException($"the proxy's admin API answered {(int)response.StatusCode} to {method} /{pathAndQuery}: {body.Trim()}");
        }
        return body;
    }

    private async Task<string> SendInsidePodAsync(ContainerRecord container, HttpMethod method, string pathAndQuery, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(1, (int)_timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] curl = ["curl", "-sS", "--noproxy", "*", "--max-time", seconds, "--max-filesize", MaxBody.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-X", method.Method, "-w", "\n%{http_code}", new Uri(_http.BaseAddress!, pathAndQuery).ToString()];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout + TimeSpan.FromSeconds(5));
        var (exit, stdout, stderr) = await PodExec.CaptureAsync(container, curl, timeout.Token).ConfigureAwait(false);
        var split = stdout.LastIndexOf('\n');
        if (exit != 0 || split < 0 || !int.TryParse(stdout.AsSpan(split + 1), out var status))
        {
            throw new ProxyAdminException($"could not reach the proxy's admin API inside the pod: {stderr.Trim()}");
        }
        var body = stdout[..split];
        if (status is < 200 or > 299)
        {
            throw new ProxyAdminException($"the proxy's admin API answered {status} to {method} /{pathAndQuery}: {body.Trim()}");
        }
        return body;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The proxy's admin API refused a request; the message says what it answered.</summary>
internal sealed class ProxyAdminException(string message) : Exception(message);
