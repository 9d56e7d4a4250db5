using System.CommandLine;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Cli.Output;
using Meshwork.Model.Mesh;
using Meshwork.Policy;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork authn tls-check POD|deploy/NAME[.NS] [deploy/NAME[.NS] | HOST]</c>: istioctl's check, removed in
/// Istio 1.6, of whether a client's TLS towards each Service port matches what the server port accepts.
/// </summary>
public static class AuthnCommands
{
    public static Command Create()
    {
        var client = new Argument<string>("client") { Description = "The client: POD[.NAMESPACE] or deploy/NAME[.NAMESPACE]" };
        var destination = new Argument<string?>("destination")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "Only the Services of this workload (deploy/NAME[.NAMESPACE]) or this host (httpbin.foo); every Service when absent",
        };
        var files = new Option<string[]>("--filename", "-f") { Description = "Check manifest files offline instead of the live mesh", AllowMultipleArgumentsPerToken = true };
        var tlsCheck = new Command("tls-check", "Per host:port: the server's mTLS mode, the client's TLS, the resources that decided them, OK or CONFLICT")
        {
            client, destination, files,
        };
        tlsCheck.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var @namespace = parse.GetValue(GlobalOptions.Namespace) ?? "default";
            if (await MeshSource.LoadAsync(cli, parse.GetValue(files) ?? [], ct).ConfigureAwait(false) is not { } mesh) return 1;
            var source = WorkloadArgument.Parse(parse.GetValue(client)!, @namespace).Resolve(mesh);
            var targets = Targets(mesh, source, parse.GetValue(destination), @namespace);
            var rows = new List<IReadOnlyList<string>> { new[] { "HOST:PORT", "STATUS", "SERVER", "CLIENT", "AUTHN POLICY", "DESTINATION RULE" } };
            foreach (var row in TlsCheck.Check(mesh, source, targets))
            {
                rows.Add([$"{row.Host}:{row.Port}", row.Status, row.ServerMode, row.ClientTls, row.ServerSource, row.ClientSource]);
            }
            await cli.Out.WriteAsync(OutputTable.Format(rows)).ConfigureAwait(false);
            return 0;
        }));
        return new Command("authn", "Inspect mutual-TLS authentication (as istioctl authn did)") { tlsCheck };
    }

    private static List<ServiceTarget> Targets(MeshState mesh, Workload client, string? destination, string @namespace)
    {
        IEnumerable<Model.Resources.Service> services = mesh.Services;
        if (destination is not null)
        {
            if (destination.Contains('/', StringComparison.Ordinal))
            {
                var server = WorkloadArgument.Parse(destination, @namespace).Resolve(mesh);
                services = mesh.Services.Where(s => (s.Metadata.Namespace ?? "default") == server.Namespace
                    && !s.Spec.Selector.IsEmpty && s.Spec.Selector.Matches(server.Labels));
            }
            else
            {
                var service = ServiceResolver.ResolveService(mesh, client.Namespace, destination)
                    ?? throw new CliUsageException($"no Service answers to \"{destination}\" from namespace {client.Namespace}");
                services = [service];
            }
        }
        return [.. services.SelectMany(s => s.Spec.Ports.Select(p => new ServiceTarget(s, p)))];
    }
}
