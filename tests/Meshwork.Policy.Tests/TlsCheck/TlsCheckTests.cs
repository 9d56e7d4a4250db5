using Meshwork.Model.Resources;
using static Meshwork.Model.Resources.ClientTlsMode;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.TlsCheck;

/// <summary>tls-check over the mtls-migration setup: each client towards httpbin.bar:8000, one change per case.</summary>
public class TlsCheckTests
{
    public sealed record Case(string Name, Resource[] Extra, string Client, string Expected)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases => new()
    {
        new("auto mTLS to a PERMISSIVE sidecar", [], "foo/sleep", "OK PERMISSIVE default ISTIO_MUTUAL auto"),
        new("auto mTLS to a STRICT namespace", [Pa("bar", "default", MtlsMode.Strict)], "foo/sleep", "OK STRICT PeerAuthentication bar/default (namespace-wide) ISTIO_MUTUAL auto"),
        new("a plain client towards STRICT conflicts", [Pa("bar", "default", MtlsMode.Strict)], "legacy/sleep", "CONFLICT STRICT PeerAuthentication bar/default (namespace-wide) NONE no sidecar"),
        new("a plain client towards PERMISSIVE is fine", [], "legacy/sleep", "OK PERMISSIVE default NONE no sidecar"),
        new("DISABLE towards STRICT conflicts",
            [Pa("bar", "default", MtlsMode.Strict), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)], "foo/sleep",
            "CONFLICT STRICT PeerAuthentication bar/default (namespace-wide) DISABLE DestinationRule foo/plain"),
        new("ISTIO_MUTUAL towards a DISABLE workload conflicts",
            [Pa("bar", "httpbin", MtlsMode.Disable, Labels("app=httpbin")), Dr("bar", "mtls", "httpbin", IstioMutual)], "foo/sleep",
            "CONFLICT DISABLE PeerAuthentication bar/httpbin (workload) ISTIO_MUTUAL DestinationRule bar/mtls"),
        new("auto mTLS follows a DISABLE workload", [Pa("bar", "httpbin", MtlsMode.Disable, Labels("app=httpbin"))], "foo/sleep",
            "OK DISABLE PeerAuthentication bar/httpbin (workload) DISABLE auto"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Row(Case c)
    {
        var mesh = Mesh([.. MigrationSetup(), .. c.Extra]);
        var (ns, name) = (c.Client.Split('/')[0], c.Client.Split('/')[1]);
        var client = Workload.FromDeployment(mesh.Deployments.Single(d => d.Metadata.Namespace == ns && d.Metadata.Name == name), mesh);
        var row = Assert.Single(Policy.TlsCheck.Check(mesh, client, [ServiceResolver.Resolve(mesh, ns, "httpbin.bar", 8000)!]));
        Assert.Equal(c.Expected, $"{row.Status} {row.ServerMode} {row.ServerSource} {row.ClientTls} {row.ClientSource}");
        Assert.Equal("httpbin.bar.svc.cluster.local", row.Host);
        Assert.Equal(["bar/httpbin"], row.Endpoints.ToArray());
    }

    [Fact]
    public void Endpoints_that_answer_differently_get_a_row_each()
    {
        var mesh = Mesh([.. MigrationSetup(), Pa("bar", "default", MtlsMode.Strict),
            Deployment("bar", "httpbin-plain", ports: [8080], labels: Labels("app=httpbin", "version=plain"), annotations: Labels("sidecar.istio.io/inject=false"))]);
        var client = Workload.FromDeployment(mesh.Deployments.Single(d => d.Metadata.Namespace == "legacy"), mesh);

        var rows = Policy.TlsCheck.Check(mesh, client, [ServiceResolver.Resolve(mesh, "legacy", "httpbin.bar", 8000)!]);

        Assert.Equal(["CONFLICT bar/httpbin", "OK bar/httpbin-plain"], rows.Select(r => $"{r.Status} {string.Join(",", r.Endpoints)}").ToArray());
    }
}
