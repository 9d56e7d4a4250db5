using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.Dashboard;
using Meshwork.Model.Mesh;
using Meshwork.Model.Yaml;
using Meshwork.Testing;

namespace Meshwork.ControlPlane.Tests.Dashboard;

/// <summary>The workload page and edge panel: what the policy engine decided, and the certificate the CA issued.</summary>
public sealed class WorkloadViewTests
{
    private const string Yaml = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: foo, labels: {istio-injection: enabled}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin, namespace: foo}
        spec:
          selector: {app: httpbin}
          ports: [{name: http, port: 8000, targetPort: 8080}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: httpbin, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          template:
            metadata: {labels: {app: httpbin}}
            spec:
              serviceAccountName: httpbin
              containers: [{name: httpbin, image: httpbin, ports: [{containerPort: 8080}, {containerPort: 9090}]}]
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: default, namespace: foo}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: metrics, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          portLevelMtls: {"9090": {mode: PERMISSIVE}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: httpbin, namespace: foo}
        spec: {host: httpbin, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
        """;

    private static MeshState Mesh()
    {
        var read = ManifestReader.Read(Yaml, "mesh.yaml", "default");
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        return MeshState.From(read.Resources);
    }

    [Fact]
    public void Names_the_PeerAuthentication_per_port_the_DestinationRule_and_the_issued_certificate()
    {
        var issued = new IssuedCertificates();
        var credentials = TestCertificateAuthority.Create().IssueWorkload("foo", "httpbin");
        issued.Record("spiffe://cluster.local/ns/foo/sa/httpbin", credentials.Leaf.ExportCertificatePem());

        var view = WorkloadView.Of(Mesh(), issued, "foo", "httpbin")!;

        Assert.Equal(("spiffe://cluster.local/ns/foo/sa/httpbin", "STRICT", "PeerAuthentication foo/default (namespace-wide)"), (view.SpiffeId, view.Mode, view.DecidedBy));
        Assert.Equal([(8080, "STRICT"), (9090, "PERMISSIVE")], view.Ports.Select(p => (p.Port, p.Mode)));
        Assert.Contains("foo/metrics", view.Ports.Single(p => p.Port == 9090).DecidedBy, StringComparison.Ordinal);
        var rule = Assert.Single(view.DestinationRules);
        Assert.Equal(("foo/httpbin", 8000, "ISTIO_MUTUAL"), (rule.Name, rule.ServicePort, rule.TlsMode));
        Assert.NotNull(view.Certificate);
        Assert.Equal(credentials.Leaf.Issuer, view.Certificate.Issuer);
        Assert.Equal(credentials.Leaf.NotAfter.ToUniversalTime(), view.Certificate.NotAfter.UtcDateTime);
    }

    [Fact]
    public void An_unknown_workload_has_no_view_and_a_workload_never_issued_one_has_no_certificate()
    {
        Assert.Null(WorkloadView.Of(Mesh(), new IssuedCertificates(), "foo", "nosuch"));
        Assert.Null(WorkloadView.Of(Mesh(), new IssuedCertificates(), "foo", "httpbin")!.Certificate);
    }
}
