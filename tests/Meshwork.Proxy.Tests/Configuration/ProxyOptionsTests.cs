using Meshwork.Proxy.Configuration;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Configuration;

public sealed class ProxyOptionsTests
{
    [Fact]
    public void Reads_the_runtime_environment_and_defaults_listeners_to_the_pod_ip()
    {
        var env = new Dictionary<string, string?>
        {
            [ProxyEnvironment.Role] = "sidecar",
            [ProxyEnvironment.PodIp] = "127.0.3.7",
            [ProxyEnvironment.InboundPorts] = "8000=127.0.0.1:18000, 9000=127.0.0.1:19000",
            [ProxyEnvironment.CertDirectory] = "/tmp/certs",
            [ProxyEnvironment.SnapshotFile] = "/tmp/snapshot.json",
            [ProxyEnvironment.PodLabels] = "{\"app\":\"httpbin\",\"version\":\"v1\"}",
        };
        var options = ProxyOptions.FromEnvironment(env, [], out var errors);
        Assert.Empty(errors);
        Assert.Equal(ProxyRole.Sidecar, options.Role);
        Assert.Equal([new InboundTarget(8000, "127.0.0.1", 18000), new InboundTarget(9000, "127.0.0.1", 19000)], options.Inbound.ToArray());
        Assert.Equal("127.0.3.7:15001", options.OutboundAddress!.ToString());
        Assert.Equal("127.0.3.7:15000", options.AdminAddress!.ToString());
        Assert.Equal("httpbin", options.Labels["app"]);
    }

    [Fact]
    public void Reports_every_error_in_one_pass()
    {
        var env = new Dictionary<string, string?>
        {
            [ProxyEnvironment.Role] = "sidekick",
            [ProxyEnvironment.PodIp] = "not-an-ip",
            [ProxyEnvironment.InboundPorts] = "8000:18000",
            [ProxyEnvironment.ControlPlane] = "http://insecure:15012",
        };
        ProxyOptions.FromEnvironment(env, ["--bogus", "x"], out var errors);
        Assert.Contains(errors, e => e.Contains("sidekick"));
        Assert.Contains(errors, e => e.Contains("not-an-ip"));
        Assert.Contains(errors, e => e.Contains("8000:18000"));
        Assert.Contains(errors, e => e.Contains("https://"));
        Assert.Contains(errors, e => e.Contains("--bogus"));
    }

    [Fact]
    public void Flags_override_the_environment()
    {
        var env = new Dictionary<string, string?> { [ProxyEnvironment.Role] = "sidecar" };
        var options = ProxyOptions.FromEnvironment(env, ["--role", "network", "--snapshot-file=/tmp/s.json"], out var errors);
        Assert.Empty(errors);
        Assert.Equal(ProxyRole.Network, options.Role);
        Assert.Equal("/tmp/s.json", options.SnapshotFile);
    }
}

public sealed class ProxyOptionsCaptureTests
{
    private static Dictionary<string, string?> Sidecar(params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string?>
        {
            [ProxyEnvironment.PodIp] = "10.253.1.2",
            [ProxyEnvironment.CertDirectory] = "/tmp/certs",
            [ProxyEnvironment.SnapshotFile] = "/tmp/snapshot.json",
        };
        foreach (var (name, value) in extra) env[name] = value;
        return env;
    }

    [Fact]
    public void Capture_keeps_admin_and_outbound_on_the_pods_loopback_and_listens_for_inbound_on_15006()
    {
        var options = ProxyOptions.FromEnvironment(Sidecar((ProxyEnvironment.Capture, "iptables"), (ProxyEnvironment.MetricsAddress, "10.253.1.2:15090")), [], out var errors);
        Assert.Empty(errors);
        Assert.True(options.Capture);
        Assert.Equal("127.0.0.1:15001", options.OutboundAddress!.ToString());
        Assert.Equal("127.0.0.1:15000", options.AdminAddress!.ToString());
        Assert.Equal("0.0.0.0:15006", options.InboundCaptureAddress!.ToString());
        Assert.Equal("10.253.1.2:15090", options.MetricsAddress!.ToString());
    }

    [Fact]
    public void Without_capture_nothing_changes_and_an_unknown_capture_mode_is_an_error()
    {
        var plain = ProxyOptions.FromEnvironment(Sidecar(), [], out var errors);
        Assert.Empty(errors);
        Assert.False(plain.Capture);
        Assert.Null(plain.InboundCaptureAddress);
        Assert.Null(plain.MetricsAddress);
        Assert.Equal("10.253.1.2:15001", plain.OutboundAddress!.ToString());

        ProxyOptions.FromEnvironment(Sidecar((ProxyEnvironment.Capture, "ebpf")), [], out var bad);
        Assert.Contains(bad, e => e.Contains(ProxyEnvironment.Capture, StringComparison.Ordinal));
    }
}
