using System.CommandLine;
using System.Globalization;
using Meshwork.Api;
using Meshwork.Cli.Commands.Runtime;
using Meshwork.Runtime.Addons;

namespace Meshwork.Cli.Commands.Observability;

/// <summary>`meshwork port-forward` (kubectl's) and `meshwork dashboard` (istioctl's; `dash` for short).</summary>
internal static class ObservabilityCommands
{
    public static IEnumerable<Command> Create() => [PortForward(), Dashboard()];

    private static Command PortForward()
    {
        var ns = GlobalOptions.Namespace;
        var target = new Argument<string>("target") { Description = "svc/NAME, deploy/NAME or a pod name" };
        var ports = new Argument<string[]>("ports") { Description = "LOCAL:REMOTE (or PORT for both, :REMOTE for any free local port)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("port-forward", "Forward a local port on 127.0.0.1 to a pod, or to a pod a Service selects") { target, ports };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var spec = parse.GetValue(ports)!;
            if (spec.Length != 1 || !PortForwardTarget.TryParsePorts(spec[0], out var local, out var remote))
            {
                Console.Error.WriteLine($"error: expected one port spec LOCAL:REMOTE, got '{string.Join(' ', spec)}'");
                return 1;
            }
            var @namespace = parse.GetValue(ns) is { Length: > 0 } given ? given : "default";
            return await ForwardAsync(parse, @namespace, parse.GetValue(target)!, local, remote, null, cancellationToken);
        });
        return command;
    }

    private static Command Dashboard()
    {
        var port = new Option<int>("--port", "-p") { Description = "Local port (0: any free port)", DefaultValueFactory = _ => PrometheusAddon.Port };
        var prometheus = new Command("prometheus", "Forward a local port to the Prometheus addon and print its URL") { port };
        prometheus.SetAction(async (parse, cancellationToken) =>
            await ForwardAsync(parse, PrometheusAddon.Namespace, $"svc/{PrometheusAddon.Name}", parse.GetValue(port), PrometheusAddon.Port,
                "Prometheus is not running: start it with `meshwork up --addons prometheus`", cancellationToken));
        var kiali = new Command("kiali", "Print a one-time login link to the traffic graph the control plane serves");
        kiali.SetAction(async (parse, cancellationToken) => await PrintLoginAsync(parse, cancellationToken));
        var dashboard = new Command("dashboard", "Open a mesh dashboard (as istioctl dashboard); alone, the traffic graph") { kiali, prometheus };
        dashboard.SetAction(async (parse, cancellationToken) => await PrintLoginAsync(parse, cancellationToken));
        dashboard.Aliases.Add("dash");
        return dashboard;
    }

    /// <summary>Asks the control plane (admin credential) for a one-time login link and prints it.</summary>
    private static async Task<int> PrintLoginAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var state = GlobalOptions.ResolveStateDirectory(parse);
        try
        {
            using var api = MeshApiClient.FromStateDirectory(state, parse.GetValue(GlobalOptions.Server));
            var json = await api.SendAsync(HttpMethod.Post, ControlPlane.Dashboard.DashboardLogin.Path, "{}", cancellationToken);
            var login = System.Text.Json.JsonSerializer.Deserialize(json, ControlPlane.Dashboard.DashboardJson.Default.DashboardLogin)
                ?? throw new System.Text.Json.JsonException("the control plane answered without a login link");
            Console.WriteLine($"Open the traffic graph (this link works once, until {login.ExpiresAt.ToLocalTime():HH:mm:ss}):");
            Console.WriteLine(new Uri(api.BaseAddress, login.LoginPath).ToString());
            return 0;
        }
        catch (Exception e) when (e is MeshApiException or HttpRequestException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Forwards until interrupted; prints kubectl's "Forwarding from" line (and the URL for a dashboard).</summary>
    private static async Task<int> ForwardAsync(
        ParseResult parse, string @namespace, string target, int localPort, int remotePort, string? missingHint, CancellationToken cancellationToken)
    {
        var state = GlobalOptions.ResolveStateDirectory(parse);
        var api = RuntimeApi.Connect(state, parse.GetValue(GlobalOptions.Server));
        Meshwork.Runtime.Pods.PodLocalPort? endpoint;
        string? error;
        try
        {
            (endpoint, error) = await PortForwardTarget.ResolveAsync(state, api, @namespace, target, remotePort, cancellationToken);
        }
        catch (Exception e) when (e is MeshApiException or HttpRequestException)
        {
            (endpoint, error) = (null, $"error: {e.Message}");
        }
        if (endpoint is null)
        {
            Console.Error.WriteLine(error ?? $"error: {target} has no address to forward to");
            if (missingHint is not null) Console.Error.WriteLine(missingHint);
            return 1;
        }
        System.Net.Sockets.TcpListener listener;
        try
        {
            listener = PortForwarder.Listen(localPort);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Console.Error.WriteLine($"error: cannot listen on 127.0.0.1:{localPort.ToString(CultureInfo.InvariantCulture)}: {e.Message}");
            return 1;
        }
        var bound = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Console.WriteLine($"Forwarding from 127.0.0.1:{bound.ToString(CultureInfo.InvariantCulture)} -> {remotePort.ToString(CultureInfo.InvariantCulture)}");
        if (missingHint is not null) Console.WriteLine($"http://localhost:{bound.ToString(CultureInfo.InvariantCulture)}");
        await Console.Out.FlushAsync(cancellationToken);
        await new PortForwarder(endpoint, Console.Error).RunAsync(listener, cancellationToken);
        return 0;
    }
}
