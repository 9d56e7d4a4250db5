// Sidecar pair benchmark: wrk → client sidecar (outbound) =mTLS=> server sidecar (inbound, STRICT) → app,
// against wrk → app directly. Each sidecar runs as its own process (this executable re-invoked as
// `proxy`, which is exactly `meshwork proxy`), from a snapshot file and certificates of a throwaway CA.
//
//   dotnet run -c Release --project bench/Meshwork.ProxyBench -- [seconds=10] [connections=32]
//
// Prints requests/s and latency for both paths, the ratio, and each sidecar's RSS idle and after load.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

if (args is ["proxy", .. var proxyArgs]) return await Meshwork.Proxy.ProxyProgram.RunAsync(proxyArgs);

var seconds = args.Length > 0 ? int.Parse(args[0]) : 10;
var connections = args.Length > 1 ? int.Parse(args[1]) : 32;
if (Which("wrk") is null) { Console.Error.WriteLine("wrk is not installed (apt-get install -y wrk)"); return 2; }

var dir = Directory.CreateTempSubdirectory("meshwork-proxybench-").FullName;
var ca = TestCertificateAuthority.Create();

// The app: a tiny Kestrel handler, like the peers harness upstream.
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
var app = builder.Build();
app.MapGet("/", () => Results.Text("hello from the app\n"));
await app.StartAsync();
var appPort = new Uri(app.Urls.First()).Port;

const string serverIp = "127.0.10.2", clientIp = "127.0.10.3";
var inboundPort = FreePort(serverIp);
var server = await StartSidecarAsync("httpbin", serverIp, $"{inboundPort}=127.0.0.1:{appPort}", Snapshot("httpbin", serverIp,
    inbound: [new InboundPort { Port = inboundPort, Protocol = "http", Mode = InboundTlsMode.Strict, Services = ["httpbin.bench.svc.cluster.local"] }],
    outbound: []));
var client = await StartSidecarAsync("sleep", clientIp, "", Snapshot("sleep", clientIp, inbound: [],
    outbound:
    [
        new OutboundService
        {
            Name = "httpbin", Namespace = "bench", Hostname = "httpbin.bench.svc.cluster.local",
            Ports = [new OutboundPort { Port = 8000, Protocol = "http", AcceptedIdentities = ["spiffe://cluster.local/ns/bench/sa/httpbin"],
                Endpoints = [new UpstreamEndpoint { Address = serverIp, Port = inboundPort, Tls = UpstreamTlsMode.IstioMutual, Workload = "httpbin", Namespace = "bench", ServiceAccount = "httpbin" }] }],
        },
    ]));
try
{
    // Warm up both paths (JIT, connection pools), then measure.
    Console.WriteLine($"sidecar RSS idle: client {Rss(client.Process)} MB, server {Rss(server.Process)} MB");
    await Wrk(5, connections, $"http://127.0.0.1:{appPort}/", null);
    await Wrk(5, connections, $"http://{client.Outbound}/", "httpbin.bench:8000");
    var direct = await Wrk(seconds, connections, $"http://127.0.0.1:{appPort}/", null);
    var mesh = await Wrk(seconds, connections, $"http://{client.Outbound}/", "httpbin.bench:8000");
    Console.WriteLine($"direct:             {direct.Rps,10:F0} req/s  p50 {direct.P50}  p99 {direct.P99}");
    Console.WriteLine($"2 sidecars (mTLS):  {mesh.Rps,10:F0} req/s  p50 {mesh.P50}  p99 {mesh.P99}");
    Console.WriteLine($"ratio mesh/direct:  {mesh.Rps / direct.Rps:F2}");
    Console.WriteLine($"sidecar RSS after load: client {Rss(client.Process)} MB, server {Rss(server.Process)} MB");
    using var http = new HttpClient();
    var stats = await http.GetStringAsync($"http://{server.Admin}/stats/prometheus");
    var mtls = Regex.Matches(stats, @"^istio_requests_total\{[^}]*connection_security_policy=""mutual_tls""\} (\d+)", RegexOptions.Multiline).Sum(m => long.Parse(m.Groups[1].Value));
    Console.WriteLine($"server sidecar counted {mtls} mTLS requests");
}
finally
{
    foreach (var p in new[] { client.Process, server.Process }) { try { p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { } }
    await app.StopAsync();
    Directory.Delete(dir, recursive: true);
}
return 0;

ProxySnapshot Snapshot(string sa, string ip, InboundPort[] inbound, OutboundService[] outbound) => new()
{
    Version = "bench",
    Node = new ProxyNode { Id = $"{sa}.bench", Role = ProxyRole.Sidecar, Namespace = "bench", Workload = sa, ServiceAccount = sa, SpiffeId = $"spiffe://cluster.local/ns/bench/sa/{sa}", App = sa },
    Inbound = [.. inbound],
    Outbound = [.. outbound],
    TrustBundle = ca.TrustBundle.ToPem(),
};

async Task<(Process Process, string Outbound, string Admin)> StartSidecarAsync(string sa, string ip, string inboundMap, ProxySnapshot snapshot)
{
    var podDir = Path.Combine(dir, sa);
    ca.IssueWorkload("bench", sa).WriteTo(Path.Combine(podDir, "certs"));
    var snapshotFile = Path.Combine(podDir, "snapshot.json");
    await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));
    var outbound = $"{ip}:{FreePort(ip)}";
    var admin = $"{ip}:{FreePort(ip)}";
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardError = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") psi.ArgumentList.Add(typeof(Program).Assembly.Location);
    psi.ArgumentList.Add("proxy");
    psi.Environment["MESHWORK_PROXY_ROLE"] = "sidecar";
    psi.Environment["MESHWORK_CERT_DIR"] = Path.Combine(podDir, "certs");
    psi.Environment["MESHWORK_SNAPSHOT_FILE"] = snapshotFile;
    psi.Environment["MESHWORK_INBOUND_PORTS"] = inboundMap;
    psi.Environment["MESHWORK_OUTBOUND_ADDRESS"] = outbound;
    psi.Environment["MESHWORK_ADMIN_ADDRESS"] = admin;
    psi.Environment["POD_NAME"] = $"{sa}-0";
    psi.Environment["POD_NAMESPACE"] = "bench";
    psi.Environment["POD_IP"] = ip;
    psi.Environment["SERVICE_ACCOUNT"] = sa;
    psi.Environment["DOTNET_gcServer"] = "0";
    psi.Environment["DOTNET_gcConcurrent"] = "0";
    psi.Environment["DOTNET_GCgen0size"] = "0x400000";
    var process = Process.Start(psi)!;
    process.ErrorDataReceived += (_, e) => { if (e.Data is { } line && (line.Contains("fail") || line.Contains("warn"))) Console.Error.WriteLine($"[{sa}] {line}"); };
    process.BeginErrorReadLine();
    using var http = new HttpClient();
    for (var i = 0; i < 200; i++)
    {
        try { if ((await http.GetAsync($"http://{admin}/ready")).IsSuccessStatusCode) return (process, outbound, admin); }
        catch (HttpRequestException) { }
        await Task.Delay(50);
    }
    throw new InvalidOperationException($"sidecar {sa} did not become ready");
}

static async Task<(double Rps, string P50, string P99)> Wrk(int seconds, int connections, string url, string? host)
{
    var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in new[] { "-t", "2", "-c", connections.ToString(), "-d", $"{seconds}s", "--latency" }) psi.ArgumentList.Add(a);
    if (host is not null) { psi.ArgumentList.Add("-H"); psi.ArgumentList.Add($"Host: {host}"); }
    psi.ArgumentList.Add(url);
    using var p = Process.Start(psi)!;
    var output = await p.StandardOutput.ReadToEndAsync();
    await p.WaitForExitAsync();
    var rps = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    var p50 = Regex.Match(output, @"50%\s+(\S+)").Groups[1].Value;
    var p99 = Regex.Match(output, @"99%\s+(\S+)").Groups[1].Value;
    if (Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } bad) Console.Error.WriteLine($"wrk saw {bad.Groups[1].Value} non-2xx responses on {url}");
    return (rps, p50, p99);
}

static int FreePort(string ip)
{
    using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    s.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
    return ((IPEndPoint)s.LocalEndPoint!).Port;
}

static string Rss(Process p)
{
    var status = File.ReadAllText($"/proc/{p.Id}/status");
    var kb = long.Parse(Regex.Match(status, @"VmRSS:\s+(\d+)").Groups[1].Value);
    return (kb / 1024.0).ToString("F1");
}

static string? Which(string name) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
