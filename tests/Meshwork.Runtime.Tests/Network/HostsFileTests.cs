using System.Net;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Tests.Network;

public sealed class HostsFileTests
{
    [Fact]
    public void Services_resolve_by_every_cluster_DNS_name_and_short_names_only_in_the_pods_namespace()
    {
        var hosts = HostsFile.Render("foo", "sleep-1", IPAddress.Parse("10.244.1.2"),
        [
            new ServiceName("foo", "httpbin", IPAddress.Parse("10.96.0.10")),
            new ServiceName("bar", "httpbin", IPAddress.Parse("10.96.0.11")),
        ]).Split('\n');
        Assert.Contains("10.244.1.2\tsleep-1", hosts);
        Assert.Contains("10.96.0.10\thttpbin.foo.svc.cluster.local httpbin.foo.svc httpbin.foo httpbin", hosts);
        Assert.Contains("10.96.0.11\thttpbin.bar.svc.cluster.local httpbin.bar.svc httpbin.bar", hosts);
        Assert.Contains("127.0.0.1\tlocalhost", hosts);
    }
}
