using System.CommandLine;
using System.Globalization;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Identity;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork x describe pod POD|deploy/NAME [-n NS]</c>, as istioctl x describe prints it: the workload's
/// Services and ports, its effective PeerAuthentication and who set it, the DestinationRules and
/// AuthorizationPolicies that apply, and the certificate its sidecar holds when the runtime runs it.
/// </summary>
public static class DescribePodCommand
{
    private const string Rule = "--------------------";

    public static Command Create()
    {
        var target = new Argument<string>("pod") { Description = "POD[.NAMESPACE] or deploy/NAME[.NAMESPACE]" };
        var files = new Option<string[]>("--filename", "-f") { Description = "Describe from manifest files offline instead of the live mesh", AllowMultipleArgumentsPerToken = true };
        var pod = new Command("pod", "Describe a pod's mesh configuration: Services, mTLS mode, DestinationRules, AuthorizationPolicies, certificate") { target, files };
        pod.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var paths = parse.GetValue(files) ?? [];
            if (await MeshSource.LoadAsync(cli, paths, ct).ConfigureAwait(false) is not { } mesh) return 1;
            var argument = WorkloadArgument.Parse(parse.GetValue(target)!, parse.GetValue(GlobalOptions.Namespace) ?? "default");
            var description = WorkloadDescription.Of(mesh, argument.Resolve(mesh));
            // The certificate is the runtime's to know: only a running pod's sidecar holds one.
            var record = paths.Length == 0 ? PodRecord.Resolve(cli.State, argument.Namespace, argument.IsDeployment ? $"deploy/{argument.Name}" : argument.Name, out _) : null;
            var certificate = record is null ? null : SecretDump.ForPod(cli.State, record);
            await cli.Out.WriteAsync(Text(description, record, certificate)).ConfigureAwait(false);
            return 0;
        }));
        return new Command("describe", "Describe a resource's mesh configuration (as istioctl x describe)") { pod };
    }

    private static string Text(WorkloadDescription d, PodRecord? record, SecretDump? certificate)
    {
        var w = d.Workload;
        var o = new StringWriter(CultureInfo.InvariantCulture);
        o.WriteLine($"Pod: {record?.Name ?? w.Name}");
        o.WriteLine($"   Namespace: {w.Namespace}");
        o.WriteLine($"   Sidecar: {(w.HasSidecar ? "yes (istio-proxy)" : "none: the pod is outside the mesh, no mTLS mode or policy is enforced for it")}");
        o.WriteLine($"   Service account: {w.ServiceAccount}");
        if (w.Ports.Length > 0) o.WriteLine($"   Pod Ports: {string.Join(", ", w.Ports)}");
        foreach (var service in d.Services.GroupBy(s => s.Target.Service.Metadata.Name))
        {
            o.WriteLine(Rule);
            o.WriteLine($"Service: {service.Key}");
            foreach (var port in service)
            {
                var name = port.Target.Port.Name is { } n ? n + " " : "";
                o.WriteLine($"   Port: {name}{port.Target.Port.Port}/{port.Target.Port.MeshProtocol.ToUpperInvariant()} targets pod port {port.TargetPort}");
            }
        }
        foreach (var rule in d.DestinationRules.GroupBy(r => r.Rule.Name))
        {
            o.WriteLine(Rule);
            var first = rule.First();
            o.WriteLine($"DestinationRule: {first.Rule.Name} for \"{first.Rule.Rule.Spec.Host}\"");
            foreach (var port in rule)
            {
                o.WriteLine($"   Port {port.ServicePort} Traffic Policy TLS Mode: {port.TlsMode ?? "unset (auto mTLS decides)"}");
            }
        }
        if (w.HasSidecar)
        {
            o.WriteLine(Rule);
            o.WriteLine("Effective PeerAuthentication:");
            o.WriteLine($"   Workload mTLS mode: {InboundMtls.Text(d.WorkloadMtls.Mode)}");
            o.WriteLine($"   Set by: {d.WorkloadMtls.Source}");
            foreach (var (port, decision) in d.PortMtls)
            {
                o.WriteLine($"   Port {port} mTLS mode: {InboundMtls.Text(decision.Mode)} ({decision.Source})");
            }
            o.WriteLine(Rule);
            if (d.AuthorizationPolicies.IsEmpty) o.WriteLine("AuthorizationPolicies: none (every authenticated or plaintext request the mode lets in is allowed)");
            else
            {
                o.WriteLine("AuthorizationPolicies:");
                foreach (var policy in d.AuthorizationPolicies)
                {
                    o.WriteLine($"   {policy.Action.ToString().ToUpperInvariant()} {policy.Name}{(policy.DryRun ? " (dry-run)" : "")}");
                }
            }
            o.WriteLine(Rule);
            o.WriteLine("Outbound scope:");
            var scope = d.Scope;
            o.WriteLine(scope.Sidecar is { } sidecar
                ? $"   Sidecar resource: {sidecar} ({scope.SidecarReason}); egress hosts: {string.Join(", ", scope.Hosts)}"
                : "   Sidecar resource: none (every Service of the mesh is known)");
            o.WriteLine($"   Outbound traffic policy: {(scope.Mode == OutboundTrafficMode.RegistryOnly ? "REGISTRY_ONLY (other hosts: 502, BlackHoleCluster)" : "ALLOW_ANY (other hosts passed through as plaintext)")} ({scope.ModeSource})");
            o.WriteLine(Rule);
            o.WriteLine("Certificate:");
            if (certificate is null)
            {
                o.WriteLine($"   SPIFFE ID: {d.Identity} (expected; no running sidecar has one to show)");
            }
            else
            {
                o.WriteLine($"   SPIFFE ID: {CertificateIdentity.GetSpiffeUri(certificate.Leaf) ?? "none"}");
                o.WriteLine($"   Issuer: {certificate.Leaf.Issuer}");
                o.WriteLine($"   Serial: {certificate.Leaf.SerialNumber.ToLowerInvariant()}");
                o.WriteLine($"   Expires: {certificate.Leaf.NotAfter.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}");
            }
        }
        return o.ToString();
    }
}
