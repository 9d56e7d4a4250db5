using System.Collections.Immutable;
using System.Net;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Tests.Network;

public sealed class IptablesRulesTests
{
    private static string[] Lines(string rules) => rules.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Capture_sends_inbound_to_15006_and_outbound_to_15001_in_Istios_order()
    {
        var rules = Lines(IptablesRules.Capture(new CaptureSettings { ProxyUid = 1000000005 }));
        Assert.Equal("*nat", rules[0]);
        Assert.Equal("COMMIT", rules[^1]);
        Assert.Equal(2, rules.Count(r => r == "COMMIT"));
        Assert.Contains("-A PREROUTING -p tcp -j MESHWORK_INBOUND", rules);
        Assert.Contains("-A MESHWORK_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006", rules);
        Assert.Contains("-A MESHWORK_REDIRECT -p tcp -j REDIRECT --to-ports 15001", rules);
        var output = rules.Where(r => r.StartsWith("-A MESHWORK_OUTPUT", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                "-A MESHWORK_OUTPUT -m owner --uid-owner 1000000005 -j RETURN",
                "-A MESHWORK_OUTPUT -o lo -j RETURN",
                "-A MESHWORK_OUTPUT -d 127.0.0.1/32 -j RETURN",
                "-A MESHWORK_OUTPUT -j MESHWORK_REDIRECT",
            ], output);
    }

    [Fact]
    public void Connections_from_outside_the_pod_to_the_sidecars_own_listeners_are_reset()
    {
        var rules = Lines(IptablesRules.Capture(new CaptureSettings { ProxyUid = 7 }));
        var filter = rules.SkipWhile(r => r != "*filter").ToList();
        Assert.Equal(
            [
                "-A INPUT ! -i lo -p tcp -m conntrack --ctorigdstport 15000 -j REJECT --reject-with tcp-reset",
                "-A INPUT ! -i lo -p tcp -m conntrack --ctorigdstport 15001 -j REJECT --reject-with tcp-reset",
                "-A INPUT ! -i lo -p tcp -m conntrack --ctorigdstport 15006 -j REJECT --reject-with tcp-reset",
            ], filter.Where(r => r.StartsWith("-A", StringComparison.Ordinal)));
    }

    [Fact]
    public void Metrics_and_health_ports_are_never_captured_inbound()
    {
        var inbound = Lines(IptablesRules.Capture(new CaptureSettings { ProxyUid = 7 })).Where(r => r.StartsWith("-A MESHWORK_INBOUND", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                "-A MESHWORK_INBOUND -p tcp --dport 15090 -j RETURN",
                "-A MESHWORK_INBOUND -p tcp --dport 15021 -j RETURN",
                "-A MESHWORK_INBOUND -p tcp -j MESHWORK_IN_REDIRECT",
            ], inbound);
    }

    [Fact]
    public void Annotations_exclude_ports_and_limit_outbound_capture_to_the_given_ranges()
    {
        var settings = CaptureSettings.FromAnnotations(7, new Dictionary<string, string>
        {
            [CaptureSettings.ExcludeInboundPortsAnnotation] = "8081, 9000",
            [CaptureSettings.ExcludeOutboundPortsAnnotation] = "5432",
            [CaptureSettings.IncludeOutboundIpRangesAnnotation] = "10.96.0.0/12,10.244.0.0/16",
        });
        var rules = Lines(IptablesRules.Capture(settings));
        Assert.Contains("-A MESHWORK_INBOUND -p tcp --dport 8081 -j RETURN", rules);
        Assert.Contains("-A MESHWORK_INBOUND -p tcp --dport 9000 -j RETURN", rules);
        Assert.Contains("-A MESHWORK_OUTPUT -p tcp --dport 5432 -j RETURN", rules);
        var output = rules.Where(r => r.StartsWith("-A MESHWORK_OUTPUT", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                "-A MESHWORK_OUTPUT -d 10.96.0.0/12 -j MESHWORK_REDIRECT",
                "-A MESHWORK_OUTPUT -d 10.244.0.0/16 -j MESHWORK_REDIRECT",
                "-A MESHWORK_OUTPUT -j RETURN",
            ], output[^3..]);
    }

    [Fact]
    public void A_star_among_the_included_ranges_captures_everything()
    {
        var settings = CaptureSettings.FromAnnotations(7, new Dictionary<string, string> { [CaptureSettings.IncludeOutboundIpRangesAnnotation] = "10.0.0.0/8,*" });
        Assert.Null(settings.IncludedOutboundRanges);
        Assert.Contains("-A MESHWORK_OUTPUT -j MESHWORK_REDIRECT", Lines(IptablesRules.Capture(settings)));
    }

    [Theory]
    [InlineData(CaptureSettings.ExcludeInboundPortsAnnotation, "80,http")]
    [InlineData(CaptureSettings.ExcludeOutboundPortsAnnotation, "70000")]
    [InlineData(CaptureSettings.IncludeOutboundIpRangesAnnotation, "10.0.0/8")]
    public void A_value_that_is_not_understood_is_refused_rather_than_capturing_less(string annotation, string value)
    {
        var error = Assert.Throws<FormatException>(() => CaptureSettings.FromAnnotations(7, new Dictionary<string, string> { [annotation] = value }));
        Assert.Contains(annotation, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Services_pick_an_endpoint_at_random_with_kube_proxys_probabilities()
    {
        var rules = Lines(IptablesRules.Services(
        [
            new ServiceRoute
            {
                ClusterIp = IPAddress.Parse("10.96.3.4"),
                Port = 8000,
                Endpoints = [new IPEndPoint(IPAddress.Parse("10.244.1.3"), 80), new IPEndPoint(IPAddress.Parse("10.244.1.2"), 80), new IPEndPoint(IPAddress.Parse("10.244.1.4"), 80)],
            },
        ]));
        Assert.Contains("-A OUTPUT -p tcp -j MESHWORK_SERVICES", rules);
        Assert.Contains("-A MESHWORK_SERVICES -d 10.96.3.4/32 -p tcp --dport 8000 -j MESHWORK_SVC_0", rules);
        Assert.Equal(
            [
                "-A MESHWORK_SVC_0 -p tcp -m statistic --mode random --probability 0.33333 -j DNAT --to-destination 10.244.1.2:80",
                "-A MESHWORK_SVC_0 -p tcp -m statistic --mode random --probability 0.50000 -j DNAT --to-destination 10.244.1.3:80",
                "-A MESHWORK_SVC_0 -p tcp -j DNAT --to-destination 10.244.1.4:80",
            ], rules.Where(r => r.StartsWith("-A MESHWORK_SVC_0", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_service_port_without_endpoints_is_rejected_at_once()
    {
        var rules = Lines(IptablesRules.Services([new ServiceRoute { ClusterIp = IPAddress.Parse("10.96.0.9"), Port = 80, Endpoints = ImmutableArray<IPEndPoint>.Empty }]));
        Assert.Contains("-A OUTPUT -d 10.96.0.9/32 -p tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable", rules);
        Assert.DoesNotContain(rules, r => r.Contains("DNAT", StringComparison.Ordinal));
    }
}
