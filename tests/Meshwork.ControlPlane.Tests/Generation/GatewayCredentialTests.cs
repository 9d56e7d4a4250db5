using System.Text.Json;
using Meshwork.Generation;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// Where an HTTPS Gateway server's private key goes: to the gateway proxy that terminates it, and to no sidecar
/// (testdata/ingress-gateway-https holds the mesh; its golden file shows the gateway's side in full).
/// </summary>
public sealed class GatewayCredentialTests
{
    private static readonly string Input = Path.Combine(GoldenSnapshotTests.TestDataDirectory, "ingress-gateway-https.input.yaml");

    private static string SnapshotJson(ProxyRegistration registration) =>
        JsonSerializer.Serialize(SnapshotGenerator.Generate(registration, GoldenSnapshotTests.ReadMesh(Input), []), ProtocolJson.Default.ProxySnapshot);

    private static ProxyRegistration Registration(string name) => JsonSerializer.Deserialize(
        File.ReadAllText(Path.Combine(GoldenSnapshotTests.TestDataDirectory, name + ".registration.json")), ProtocolJson.Default.ProxyRegistration)!;

    [Fact]
    public void The_gateway_gets_the_key_of_the_secret_in_its_own_namespace()
    {
        var json = SnapshotJson(Registration("ingress-gateway"));
        Assert.Contains("HTTPBIN-KEY", json, StringComparison.Ordinal);
        Assert.DoesNotContain("WRONG-NAMESPACE", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sidecar_in_the_gateways_namespace_or_the_secrets_gets_no_gateway_key()
    {
        var sidecar = Registration("httpbin-foo-authz");
        foreach (var registration in new[] { sidecar, sidecar with { Namespace = "istio-system", Pod = "other-1", Workload = "other", ServiceAccount = "other" } })
        {
            var json = SnapshotJson(registration);
            Assert.DoesNotContain("PRIVATE KEY", json, StringComparison.Ordinal);
            Assert.DoesNotContain("-KEY", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_config_dump_shows_the_key_redacted()
    {
        var snapshot = SnapshotGenerator.Generate(Registration("ingress-gateway"), GoldenSnapshotTests.ReadMesh(Input), []);
        var dumped = JsonSerializer.Serialize(snapshot.WithoutKeys(), ProtocolJson.Default.ProxySnapshot);
        Assert.DoesNotContain("PRIVATE KEY", dumped, StringComparison.Ordinal);
        Assert.Contains(GatewayTlsServer.Redacted, dumped, StringComparison.Ordinal);
        Assert.Contains("HTTPBIN-CERT", dumped, StringComparison.Ordinal);
    }
}
