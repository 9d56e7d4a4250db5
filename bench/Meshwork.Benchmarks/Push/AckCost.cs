using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Benchmarks.Push;

/// <summary>
/// What one ACK costs the control plane: the real host (<see cref="ControlPlaneHost"/>, HTTP/2 over mutual TLS on
/// loopback) with one proxy's stream open, and curl, in a process of its own, posting the same ACK again and again on
/// one connection, as a sidecar posts each of its ACKs. The server's managed bytes allocated and process CPU time over
/// the run, divided by the ACKs, are the cost of one; curl's own work is not in them.
///   dotnet run -c Release --project bench/Meshwork.Benchmarks -- ack-cost [acks=2000]
/// </summary>
internal static class AckCost
{
    public static async Task RunAsync(string[] args)
    {
        var acks = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var directory = Directory.CreateTempSubdirectory("meshwork-ackcost-").FullName;
        try
        {
            await using var server = await ControlPlaneHost.StartAsync(new ControlPlaneOptions
            {
                StateDirectory = new StateDirectory(Path.Combine(directory, "state")),
                Port = 0,
                ConfigureLogging = logging => logging.ClearProviders(),
            }, CancellationToken.None);
            var identity = new SpiffeId("cluster.local", "default", "bench");
            var (key, csr) = CsrFactory.Create(identity);
            var ca = server.Services.GetRequiredService<CertificateAuthority.CertificateAuthority>();
            var client = Path.Combine(directory, "client");
            WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, identity), ca.TrustBundle).WriteTo(client);

            var registration = new ProxyRegistration { Role = ProxyRole.Sidecar, Namespace = "default", Pod = "bench-0", ServiceAccount = "bench", Deltas = true };
            var registrationFile = Path.Combine(directory, "registration.json");
            File.WriteAllBytes(registrationFile, JsonSerializer.SerializeToUtf8Bytes(registration, ProtocolJson.Default.ProxyRegistration));
            var stream = new Uri(server.Url, ControlPlanePaths.Stream);
            using var streaming = Curl(client, registrationFile, $"--no-buffer --output /dev/null \"{stream}\"");
            var registry = server.Services.GetRequiredService<ProxyRegistry>();
            var waited = Stopwatch.StartNew();
            string? version;
            while ((version = registry.Find("bench-0.default")?.LastSentVersion) is null)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the proxy's stream did not open");
                await Task.Delay(50);
            }

            var ackFile = Path.Combine(directory, "ack.json");
            File.WriteAllBytes(ackFile, JsonSerializer.SerializeToUtf8Bytes(new SnapshotAck { ProxyId = "bench-0.default", Version = version, Nonce = "1" }, ProtocolJson.Default.SnapshotAck));
            var acksUrl = new Uri(server.Url, ControlPlanePaths.Acks);
            await PostAsync(client, ackFile, acksUrl, Math.Max(100, acks / 10), directory);
            GC.Collect();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var statuses = await PostAsync(client, ackFile, acksUrl, acks, directory);
            var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Console.WriteLine($"ack-cost: {acks} ACKs on one HTTP/2 connection, statuses {statuses}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            Console.WriteLine($"per ACK, the control plane: {(double)bytes / acks:F0} bytes allocated, {spent.TotalMicroseconds / acks:F0} µs CPU");
            Console.WriteLine($"of which parsing the body as the endpoint does (DeserializeAsync from a stream): {await ParseBytesAsync(File.ReadAllBytes(ackFile), acks):F0} bytes");
            streaming.Kill();
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Bytes allocated per parse of <paramref name="body"/> from a stream, as the ACK endpoint reads it (the stream itself reused).</summary>
    private static async Task<double> ParseBytesAsync(byte[] body, int count)
    {
        using var stream = new MemoryStream(body, writable: false);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            stream.Position = 0;
            _ = await JsonSerializer.DeserializeAsync(stream, ProtocolJson.Default.SnapshotAck);
        }
        return (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / count;
    }

    /// <summary>Posts the ACK <paramref name="count"/> times with one curl (one connection, one request after another); the response statuses, counted.</summary>
    private static async Task<string> PostAsync(string client, string ackFile, Uri url, int count, string directory)
    {
        var urls = Path.Combine(directory, "urls.conf");
        File.WriteAllLines(urls, Enumerable.Repeat($"url = \"{url}\"\noutput = \"/dev/null\"", count));
        using var curl = Curl(client, ackFile, $"--write-out \"%{{http_code}}\\n\" --config \"{urls}\"");
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();
        return string.Join(", ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).GroupBy(s => s).Select(g => $"{g.Count()} × {g.Key}"));
    }

    private static Process Curl(string client, string body, string rest) => Process.Start(new ProcessStartInfo("curl",
        $"--silent --http2 --cert \"{client}/cert-chain.pem\" --key \"{client}/key.pem\" --cacert \"{client}/root-cert.pem\" "
        + $"--header \"content-type: application/json\" --data-binary \"@{body}\" {rest}")
    { RedirectStandardOutput = true })!;
}
