using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Text;
using System.Text.Json;
using Meshwork.Identity;

/// <summary>
/// A worker process: runs proxies [first, first + count) against the control plane on 127.0.0.1:port, driven by
/// <see cref="WorkerFleet"/> over its standard input and output, one line per message:
///   worker → main: hello &lt;timestamp&gt;; csr &lt;i&gt; &lt;base64 PEM&gt;; ready; connected; armed; acked &lt;json&gt;; reconnected &lt;json&gt;
///   main → worker: trust &lt;base64 PEM&gt;; cert &lt;i&gt; &lt;base64 PEM chain&gt;; connect; arm; reconnect held|version; stop
/// Each proxy's private key is made here and never leaves the process: the main process signs its CSR, as the
/// control plane's CA signs a sidecar's.
///   (started by the benchmark) worker first count namespaces deltas|full port handshakes
/// </summary>
internal static class FleetWorker
{
    public static async Task RunAsync(string[] args)
    {
        var first = int.Parse(args[1], CultureInfo.InvariantCulture);
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        var namespaces = int.Parse(args[3], CultureInfo.InvariantCulture);
        var deltas = args[4] != "full";
        var address = new Uri($"https://127.0.0.1:{int.Parse(args[5], CultureInfo.InvariantCulture)}");
        var handshakes = int.Parse(args[6], CultureInfo.InvariantCulture);
        // The main process checks that this reading falls between its own before and after starting us: one clock.
        Send($"hello {Stopwatch.GetTimestamp()}");

        // One CSR, then its certificate, proxy after proxy: at most one line in flight each way, so neither process
        // can fill the other's pipe while it is itself blocked writing.
        var trust = TrustBundle.FromPem(Decode(Expect("trust")[1]));
        var proxies = new SimulatedProxy[count];
        for (var k = 0; k < count; k++)
        {
            var (key, csr) = CsrFactory.Create(BenchMesh.PushIdentity(first + k, namespaces));
            Send($"csr {first + k} {Convert.ToBase64String(Encoding.UTF8.GetBytes(csr))}");
            var cert = Expect("cert");
            if (int.Parse(cert[1], CultureInfo.InvariantCulture) != first + k) throw new InvalidDataException($"worker: a certificate for proxy {cert[1]}, not {first + k}");
            var leaf = WorkloadCredentials.FromSignedChain(key, [Decode(cert[2])], trust).Leaf;
            var credential = SslStreamCertificateContext.Create(leaf, additionalCertificates: null, offline: true);
            proxies[k] = new SimulatedProxy(address, credential, trust, BenchMesh.PushSidecar(first + k, namespaces) with { Deltas = deltas });
        }
        await using var fleet = new InProcessFleet(proxies, handshakes);
        Send("ready");

        while (Console.ReadLine() is { } line)
        {
            var command = line.Split(' ');
            switch (command[0])
            {
                case "connect":
                    await fleet.ConnectAsync();
                    Send("connected");
                    break;
                case "arm":
                    var (acked, before) = fleet.Arm();
                    Send("armed");
                    var round = await acked;
                    Send("acked " + JsonSerializer.Serialize(round with { Workers = ProcessCost.Since(before) }, WorkerJson.Default.RoundOutcome));
                    break;
                case "reconnect":
                    var start = ProcessCost.Now();
                    var restart = await fleet.ReconnectAsync(sendHeld: command[1] == "held");
                    Send("reconnected " + JsonSerializer.Serialize(restart with { Workers = ProcessCost.Since(start) }, WorkerJson.Default.RestartOutcome));
                    break;
                case "stop":
                    return;
                default:
                    throw new InvalidDataException($"worker: unknown command '{command[0]}'");
            }
        }
    }

    private static void Send(string line) => Console.Out.WriteLine(line);

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    private static string[] Expect(string verb)
    {
        var line = Console.ReadLine() ?? throw new EndOfStreamException($"worker: input closed while waiting for '{verb}'");
        var parts = line.Split(' ');
        return parts[0] == verb ? parts : throw new InvalidDataException($"worker: expected '{verb}', got '{parts[0]}'");
    }
}
