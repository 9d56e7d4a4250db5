using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Api;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;
using Xunit.Abstractions;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.FaultsUnderLoad;

/// <summary>
/// The control plane SIGKILLed and left away longer than a workload certificate lives (20 s here), under load:
/// the sidecars keep their last snapshot, say that their certificate expired (a log line, and
/// meshwork_cert_expiry_seconds below zero on /stats/prometheus), and recover once the control plane returns,
/// with a fresh bootstrap token the runtime writes for them; a token already used is refused.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class ControlPlaneAwayPastCertificateLifeTests(MeshWithShortLivedCertificates mesh, ITestOutputHelper output)
    : IClassFixture<MeshWithShortLivedCertificates>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Sidecars_report_the_expiry_keep_their_snapshot_and_recover_with_a_fresh_one_time_token()
    {
        var sleep = mesh.ReadyPod("sleep");
        var httpbin = mesh.ReadyPod("httpbin");
        var tokenFile = Path.Combine(mesh.State.PodDirectory("foo", sleep.Name), "bootstrap-token");
        var tokenBefore = (await File.ReadAllTextAsync(tokenFile)).Trim();
        var snapshotBefore = Line(await StatsAsync(sleep), "meshwork_snapshot_info{");
        Assert.True(snapshotBefore is not null, "sleep's sidecar reports no snapshot");
        string? snapshotWhileExpired = null;

        var killed = mesh.ControlPlanePid;
        var load = await mesh.UnderLoadAsync(async () =>
        {
            Assert.True(Posix.Signal(killed, Posix.SigKill));
            await Mw.EventuallyAsync(async () => await ExpirySecondsAsync(sleep) < 0 && await ExpirySecondsAsync(httpbin) < 0,
                Patience, async () => $"sleep: {await ExpirySecondsAsync(sleep)} s, httpbin: {await ExpirySecondsAsync(httpbin)} s to expiry\n{mesh.Logs()}");
            snapshotWhileExpired = Line(await StatsAsync(sleep), "meshwork_snapshot_info{");

            await mesh.MustAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");
            await Mw.EventuallyAsync(async () => await ExpirySecondsAsync(sleep) > 0 && await ExpirySecondsAsync(httpbin) > 0
                    && await mesh.OneRequestAsync() == 200,
                Patience, async () => $"sleep: {await ExpirySecondsAsync(sleep)} s, httpbin: {await ExpirySecondsAsync(httpbin)} s to expiry\n{mesh.Logs()}");
        }, settle: TimeSpan.FromSeconds(3));
        output.WriteLine($"control plane SIGKILLed and away until both certificates ({MeshWithShortLivedCertificates.Lifetime.TotalSeconds:0} s) expired, restarted: {load.Summary}");

        // The last snapshot stayed in force while the certificate was expired.
        Assert.Equal(snapshotBefore, snapshotWhileExpired);
        var sidecarLog = await File.ReadAllTextAsync(mesh.State.ContainerLogFile("foo", sleep.Name, SidecarInjection.SidecarContainerName));
        Assert.Contains("expired at", sidecarLog);
        Assert.Contains("without a successor", sidecarLog);

        // The runtime wrote a fresh token, the sidecar redeemed it, and a second use of it is refused.
        var tokenAfter = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.NotEqual(tokenBefore, tokenAfter);
        var (status, body) = await RequestCertificateAsync(tokenAfter);
        Assert.True(status == HttpStatusCode.Unauthorized, $"a reused bootstrap token got {(int)status}: {body}");
        Assert.Contains("already used", body);
    }

    private async Task<string> StatsAsync(PodRecord pod)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        try { return await http.GetStringAsync(new Uri($"http://{pod.PodIp}:{mesh.StatsPort}/stats/prometheus")); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return ""; }
    }

    private static string? Line(string stats, string prefix) =>
        stats.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>meshwork_cert_expiry_seconds of the pod's sidecar; 0 when it could not be read.</summary>
    private async Task<double> ExpirySecondsAsync(PodRecord pod) =>
        Line(await StatsAsync(pod), "meshwork_cert_expiry_seconds ") is { } line
            ? double.Parse(line["meshwork_cert_expiry_seconds ".Length..], CultureInfo.InvariantCulture)
            : 0;

    /// <summary>A CSR for foo/sleep to the control plane, authenticated by <paramref name="token"/>.</summary>
    private async Task<(HttpStatusCode Status, string Body)> RequestCertificateAsync(string token)
    {
        var server = ServerInfo.Read(mesh.State) ?? throw new InvalidOperationException("no control plane recorded");
        var root = TrustBundle.FromPem(await File.ReadAllTextAsync(mesh.State.RootCertFile));
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && root.Verify(new X509Certificate2(certificate), [], DateTimeOffset.UtcNow, out _),
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var (key, csr) = CsrFactory.Create(new SpiffeId("cluster.local", "foo", "sleep"));
        key.Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(server.Url), ControlPlanePaths.Certificates))
        {
            Content = JsonContent.Create(new Meshwork.ProxyProtocol.ControlPlaneApi.CertificateRequest { Csr = csr }, ProtocolJson.Default.CertificateRequest),
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
