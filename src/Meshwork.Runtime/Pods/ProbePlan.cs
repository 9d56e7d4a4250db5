using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// A container's probe with its target resolved before the pod starts: the URL of an httpGet, the
/// address of a tcpSocket (a named port becomes the container port's number, then the address
/// where the app listens for it), or an exec's command.
/// </summary>
public sealed record ProbePlan
{
    public required Probe Probe { get; init; }
    public Uri? HttpUrl { get; init; }
    public ImmutableArray<HttpHeader> HttpHeaders { get; init; } = [];
    public IPEndPoint? TcpEndpoint { get; init; }
    public ImmutableArray<string> ExecCommand { get; init; } = [];

    /// <param name="listening">Where the app listens for a container port number.</param>
    public static ProbePlan? For(Probe? probe, ImmutableArray<ContainerPort> ports, Func<int, IPEndPoint> listening)
    {
        if (probe is null) return null;
        int Number(IntOrString port) => port.Number ?? ports.First(p => p.Name == port.Name).Port; // the reader checked the name
        if (probe.HttpGet is { } http)
        {
            var endpoint = listening(Number(http.Port));
            var scheme = http.Scheme == "HTTPS" ? "https" : "http";
            var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{endpoint.Address}:{endpoint.Port}{http.Path}"));
            return new ProbePlan { Probe = probe, HttpUrl = url, HttpHeaders = http.HttpHeaders };
        }
        if (probe.TcpSocket is { } tcp) return new ProbePlan { Probe = probe, TcpEndpoint = listening(Number(tcp.Port)) };
        return new ProbePlan { Probe = probe, ExecCommand = probe.Exec?.Command ?? [] };
    }

    /// <summary>
    /// The same check run inside the pod (its network namespace, the container's user) as an exec, for an app behind
    /// a sidecar in its own namespace: a connection from outside would meet the inbound capture, and STRICT would
    /// refuse the plaintext probe. Istio rewrites such probes to its agent for the same reason.
    /// </summary>
    public ProbePlan InsidePod()
    {
        if (HttpUrl is { } url)
        {
            var curl = new List<string> { "curl", "-sS", "-o", "/dev/null", "-f", "--noproxy", "*", url.ToString() };
            foreach (var header in HttpHeaders) curl.AddRange(["-H", $"{header.Name}: {header.Value}"]);
            return this with { HttpUrl = null, HttpHeaders = [], ExecCommand = [.. curl] };
        }
        if (TcpEndpoint is { } tcp)
        {
            return this with
            {
                TcpEndpoint = null,
                ExecCommand = ["bash", "-c", string.Create(CultureInfo.InvariantCulture, $"exec 3<>/dev/tcp/{tcp.Address}/{tcp.Port}")],
            };
        }
        return this;
    }
}
