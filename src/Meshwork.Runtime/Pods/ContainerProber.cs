using System.Net.Sockets;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Runs one probe attempt as the kubelet does, bounded by the probe's timeoutSeconds: an httpGet
/// answered with a status from 200 to 399, a tcpSocket that connects, or an exec command (in the
/// container's world, through <see cref="PodExec"/>) that exits 0.
/// </summary>
public static class ContainerProber
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        // The kubelet does not verify a probed server's certificate: the pod's own app is probed.
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static async Task<bool> ProbeAsync(ProbePlan plan, ContainerRecord world, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(plan.Probe.TimeoutSeconds));
        try
        {
            if (plan.HttpUrl is { } url)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                foreach (var header in plan.HttpHeaders) request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                return status is >= 200 and < 400;
            }
            if (plan.TcpEndpoint is { } endpoint)
            {
                using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
                return true;
            }
            var (exitCode, _, _) = await PodExec.CaptureAsync(world, plan.ExecCommand, attempt.Token).ConfigureAwait(false);
            return exitCode == 0;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or IOException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
