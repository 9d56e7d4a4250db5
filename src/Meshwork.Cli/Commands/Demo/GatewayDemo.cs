using System.CommandLine;
using System.Net;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime;
using Meshwork.Cli.Commands.Runtime;

namespace Meshwork.Cli.Commands.Demo;

/// <summary>
/// `meshwork demo gateway`: the web-frontend / customers tutorial (seed 001) through the ingress gateway, run for
/// real on this host: each step's curl from outside the mesh and what it showed.
/// </summary>
internal static class GatewayDemo
{
    private const string Tutorial = "customers";
    private const string CustomersHost = "customers.default.svc.cluster.local";
    private const string CustomerName = "Jewel Schaefer";

    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "Port of the control plane when it has to be started (0: any free port)" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for workloads and for each step to take effect", DefaultValueFactory = _ => 60 };
        var command = new Command("gateway", "Bring up the ingress gateway, web-frontend (no sidecar) and customers (sidecar), and show what curl gets as STRICT mTLS comes and goes")
        {
            port, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            try
            {
                return await RunAsync(state, parse.GetValue(GlobalOptions.Server), parse.GetValue(port), TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            }
            catch (Exception e) when (e is LocalMeshException or MeshApiException or HttpRequestException or NotSupportedException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(StateDirectory state, string? server, int? port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        if (!IngressGateway.Enabled) throw new LocalMeshException($"the ingress gateway is turned off ({IngressGateway.Variable}=0)");
        var api = await RuntimeLifecycleCommands.UpAsync(state, server, port, output, cancellationToken);
        // Start from Istio's default (PERMISSIVE) even when an earlier run left the policy behind.
        await api.DeleteAsync("PeerAuthentication", "default", "default", cancellationToken);

        output.WriteLine();
        output.WriteLine("## Setup: the Gateway, web-frontend without a sidecar, customers with one");
        var since = DateTimeOffset.UtcNow;
        await ApplyAsync(api, "gateway.yaml", inject: false, cancellationToken);
        await ApplyAsync(api, "web-frontend.yaml", inject: false, cancellationToken);
        await ApplyAsync(api, "customers-v1.yaml", inject: true, cancellationToken);
        string[] workloads = [$"{IngressGateway.Namespace}/{IngressGateway.Name}", "default/web-frontend", "default/customers-v1"];
        if (!await RuntimeLifecycleCommands.WaitForWorkloadsAsync(state, since, workloads, timeout * 3, output, cancellationToken)) return 1;
        var gateway = await GatewayUrlAsync(api, timeout, cancellationToken);
        if (gateway is null)
        {
            output.WriteLine($"(service {IngressGateway.Namespace}/{IngressGateway.Name} has no load balancer address after {timeout.TotalSeconds:0}s)");
            return 1;
        }
        output.WriteLine($"GATEWAY_IP={gateway.Host}{(gateway.IsDefaultPort ? "" : $" (port {gateway.Port})")}");

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var ok = true;
        output.WriteLine();
        output.WriteLine("## curl http://$GATEWAY_IP: the gateway sends plaintext to web-frontend, which lists the customers");
        ok &= await ExpectAsync(http, gateway, null, (s, b) => s == 200 && b.Contains(CustomerName, StringComparison.Ordinal), timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine($"## meshwork apply -f samples/{Tutorial}/vs-customers-gateway.yaml; curl -H \"Host: {CustomersHost}\" http://$GATEWAY_IP");
        await ApplyAsync(api, "vs-customers-gateway.yaml", inject: false, cancellationToken);
        ok &= await ExpectAsync(http, gateway, CustomersHost, (s, b) => s == 200 && b.TrimStart().StartsWith('['), timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine($"## meshwork apply -f samples/{Tutorial}/strict-mtls.yaml: web-frontend's plaintext call to customers is reset; the gateway's mTLS call is not");
        await ApplyAsync(api, "strict-mtls.yaml", inject: false, cancellationToken);
        ok &= await ExpectAsync(http, gateway, null, (_, b) => b.Contains("ECONNRESET", StringComparison.Ordinal), timeout, output, cancellationToken);
        ok &= await ExpectAsync(http, gateway, CustomersHost, (s, _) => s == 200, timeout, output, cancellationToken);

        output.WriteLine();
        output.WriteLine("## meshwork delete peerauthentication default: back to PERMISSIVE, the page lists the customers again");
        await api.DeleteAsync("PeerAuthentication", "default", "default", cancellationToken);
        ok &= await ExpectAsync(http, gateway, null, (s, b) => s == 200 && b.Contains(CustomerName, StringComparison.Ordinal), timeout, output, cancellationToken);
        return ok ? 0 : 1;
    }

    private static Task ApplyAsync(IMeshApi api, string file, bool inject, CancellationToken cancellationToken)
        => DemoCommands.ApplySampleAsync(api, Tutorial, file, "default", inject, cancellationToken);

    /// <summary>http://ip[:port]/ of the gateway Service once the runtime has published its address; null after the timeout.</summary>
    private static async Task<Uri?> GatewayUrlAsync(IMeshApi api, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await api.GetAsync("Service", IngressGateway.Namespace, IngressGateway.Name, cancellationToken) is Service { Status.LoadBalancerIngress: [var ip, ..] } service
                && service.Spec.Ports.Length > 0)
            {
                return new Uri($"http://{ip}:{service.Spec.Ports[0].Port}/");
            }
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>Repeats the request until <paramref name="expected"/> holds or the timeout passes (a change takes a moment to reach the proxies), then prints what it got.</summary>
    private static async Task<bool> ExpectAsync(HttpClient http, Uri gateway, string? host, Func<int, string, bool> expected, TimeSpan timeout, TextWriter output, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        int status;
        string body;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, gateway);
            if (host is not null) request.Headers.Host = host;
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                status = (int)response.StatusCode;
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                (status, body) = (0, e.Message);
            }
            if (expected(status, body) || DateTime.UtcNow > deadline) break;
            await Task.Delay(500, cancellationToken);
        }
        var matched = expected(status, body);
        output.WriteLine($"{(host is null ? "" : $"Host: {host} ")}{(status == 0 ? "000" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {Summary(body)}");
        if (!matched) output.WriteLine($"(not the expected outcome after {timeout.TotalSeconds:0}s)");
        return matched;
    }

    /// <summary>The text of a page or a JSON body on one line, as much as a terminal line holds.</summary>
    private static string Summary(string body)
    {
        var text = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(body, "<[^>]+>", " "));
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
        return text.Length <= 100 ? text : text[..100] + "…";
    }
}
