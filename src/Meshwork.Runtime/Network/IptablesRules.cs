using System.Globalization;
using System.Text;

namespace Meshwork.Runtime.Network;

/// <summary>
/// The iptables-restore input for one pod's network namespace. A meshed pod gets Istio's capture
/// (istio-iptables' chains under Meshwork's names); a pod without a sidecar gets kube-proxy's
/// Service translation. The namespace is the pod's own, so the tables are written whole.
/// </summary>
public static class IptablesRules
{
    public const string InboundChain = "MESHWORK_INBOUND";
    public const string InboundRedirectChain = "MESHWORK_IN_REDIRECT";
    public const string OutputChain = "MESHWORK_OUTPUT";
    public const string RedirectChain = "MESHWORK_REDIRECT";
    public const string ServicesChain = "MESHWORK_SERVICES";

    /// <summary>Inbound TCP to the sidecar's inbound capture port, the app's outbound TCP to its outbound capture port.</summary>
    public static string Capture(CaptureSettings settings)
    {
        var text = new StringBuilder();
        text.AppendLine("*nat");
        text.AppendLine(":PREROUTING ACCEPT [0:0]");
        text.AppendLine(":INPUT ACCEPT [0:0]");
        text.AppendLine(":OUTPUT ACCEPT [0:0]");
        text.AppendLine(":POSTROUTING ACCEPT [0:0]");
        text.AppendLine($":{InboundChain} - [0:0]");
        text.AppendLine($":{InboundRedirectChain} - [0:0]");
        text.AppendLine($":{OutputChain} - [0:0]");
        text.AppendLine($":{RedirectChain} - [0:0]");
        text.AppendLine($"-A PREROUTING -p tcp -j {InboundChain}");
        text.AppendLine($"-A OUTPUT -p tcp -j {OutputChain}");
        foreach (var port in CaptureSettings.AlwaysExcludedInboundPorts.Concat(settings.ExcludedInboundPorts).Distinct())
        {
            text.AppendLine($"-A {InboundChain} -p tcp --dport {Invariant(port)} -j RETURN");
        }
        text.AppendLine($"-A {InboundChain} -p tcp -j {InboundRedirectChain}");
        text.AppendLine($"-A {InboundRedirectChain} -p tcp -j REDIRECT --to-ports {Invariant(CaptureSettings.InboundCapturePort)}");
        // The sidecar's own connections (to upstreams, and to the app on 127.0.0.1) are not captured again.
        text.AppendLine($"-A {OutputChain} -m owner --uid-owner {Invariant(settings.ProxyUid)} -j RETURN");
        // Traffic that stays inside the pod (its localhost, its own address) is the pod's business.
        text.AppendLine($"-A {OutputChain} -o lo -j RETURN");
        text.AppendLine($"-A {OutputChain} -d 127.0.0.1/32 -j RETURN");
        foreach (var port in settings.ExcludedOutboundPorts.Distinct())
        {
            text.AppendLine($"-A {OutputChain} -p tcp --dport {Invariant(port)} -j RETURN");
        }
        if (settings.IncludedOutboundRanges is { } ranges)
        {
            foreach (var range in ranges) text.AppendLine($"-A {OutputChain} -d {range} -j {RedirectChain}");
            text.AppendLine($"-A {OutputChain} -j RETURN");
        }
        else
        {
            text.AppendLine($"-A {OutputChain} -j {RedirectChain}");
        }
        text.AppendLine($"-A {RedirectChain} -p tcp -j REDIRECT --to-ports {Invariant(CaptureSettings.OutboundCapturePort)}");
        text.AppendLine("COMMIT");
        // The sidecar's own listeners belong to the pod: a connection from outside aimed at one of
        // them would otherwise be captured and passed through to it on the pod's loopback, lending
        // the pod's identity (outbound) or its admin API to any caller. The original destination
        // port survives the REDIRECT in conntrack.
        text.AppendLine("*filter");
        text.AppendLine(":INPUT ACCEPT [0:0]");
        text.AppendLine(":FORWARD ACCEPT [0:0]");
        text.AppendLine(":OUTPUT ACCEPT [0:0]");
        foreach (var port in CaptureSettings.ProxyOwnPorts)
        {
            text.AppendLine($"-A INPUT ! -i lo -p tcp -m conntrack --ctorigdstport {Invariant(port)} -j REJECT --reject-with tcp-reset");
        }
        text.AppendLine("COMMIT");
        return text.ToString();
    }

    /// <summary>
    /// Service clusterIP:port to one of its endpoints, picked at random per connection as kube-proxy's
    /// iptables mode does (rule i of n matches with probability 1/(n-i)); a port with no endpoint is
    /// rejected at once instead of timing out.
    /// </summary>
    public static string Services(IEnumerable<ServiceRoute> routes)
    {
        var ordered = routes.OrderBy(r => Ipv4Range.ToUInt32(r.ClusterIp)).ThenBy(r => r.Port).ToList();
        var nat = new StringBuilder();
        var filter = new StringBuilder();
        nat.AppendLine("*nat");
        nat.AppendLine(":PREROUTING ACCEPT [0:0]");
        nat.AppendLine(":INPUT ACCEPT [0:0]");
        nat.AppendLine(":OUTPUT ACCEPT [0:0]");
        nat.AppendLine(":POSTROUTING ACCEPT [0:0]");
        nat.AppendLine($":{ServicesChain} - [0:0]");
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Endpoints.Length > 0) nat.AppendLine($":{ServiceChain(i)} - [0:0]");
        }
        nat.AppendLine($"-A OUTPUT -p tcp -j {ServicesChain}");
        filter.AppendLine("*filter");
        filter.AppendLine(":INPUT ACCEPT [0:0]");
        filter.AppendLine(":FORWARD ACCEPT [0:0]");
        filter.AppendLine(":OUTPUT ACCEPT [0:0]");
        for (var i = 0; i < ordered.Count; i++)
        {
            var route = ordered[i];
            var match = $"-d {route.ClusterIp}/32 -p tcp --dport {Invariant(route.Port)}";
            if (route.Endpoints.Length == 0)
            {
                filter.AppendLine($"-A OUTPUT {match} -j REJECT --reject-with icmp-port-unreachable");
                continue;
            }
            nat.AppendLine($"-A {ServicesChain} {match} -j {ServiceChain(i)}");
            var endpoints = route.Endpoints.OrderBy(e => Ipv4Range.ToUInt32(e.Address)).ThenBy(e => e.Port).ToList();
            for (var j = 0; j < endpoints.Count; j++)
            {
                var left = endpoints.Count - j;
                var pick = left > 1
                    ? $"-m statistic --mode random --probability {(1.0 / left).ToString("0.00000", CultureInfo.InvariantCulture)} "
                    : "";
                nat.AppendLine($"-A {ServiceChain(i)} -p tcp {pick}-j DNAT --to-destination {endpoints[j].Address}:{Invariant(endpoints[j].Port)}");
            }
        }
        nat.AppendLine("COMMIT");
        filter.AppendLine("COMMIT");
        return nat.Append(filter).ToString();
    }

    private static string ServiceChain(int index) => $"MESHWORK_SVC_{Invariant(index)}";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
