using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

/// <summary>metadata.managedFields survives the store's round trip (JSON out, reader in) and kubectl's YAML.</summary>
public class ManagedFieldsTests
{
    [Fact]
    public void Managed_fields_read_back_equal_from_json_and_from_kubectls_yaml()
    {
        var pa = new PeerAuthentication
        {
            ApiVersion = "security.istio.io/v1",
            Metadata = new ObjectMeta
            {
                Name = "default",
                Namespace = "foo",
                ManagedFields =
                [
                    new ManagedFieldsEntry
                    {
                        Manager = "kubectl", Operation = ManagedFieldsEntry.ApplyOperation, ApiVersion = "security.istio.io/v1",
                        Time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
                        FieldsV1 = """{"f:metadata":{"f:labels":{"f:team":{}}},"f:spec":{"f:mtls":{"f:mode":{}}}}""",
                    },
                ],
            },
            Spec = new PeerAuthenticationSpec { Mode = MtlsMode.Strict },
        };

        var fromJson = ManifestReader.Read(ResourceJson.Serialize(pa), "store");
        Assert.False(fromJson.HasErrors, string.Join('\n', fromJson.Diagnostics));
        Assert.Equal(pa, fromJson.Resources[0] with { Source = null });

        // As kubectl get -o yaml --show-managed-fields prints it: keys in another order, block style.
        var fromYaml = ManifestReader.Read("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata:
              name: default
              namespace: foo
              managedFields:
              - apiVersion: security.istio.io/v1
                fieldsType: FieldsV1
                fieldsV1:
                  f:spec:
                    f:mtls:
                      f:mode: {}
                  f:metadata:
                    f:labels:
                      f:team: {}
                manager: kubectl
                operation: Apply
                time: "2026-01-02T03:04:05Z"
            spec:
              mtls:
                mode: STRICT
            """, "kubectl");
        Assert.False(fromYaml.HasErrors, string.Join('\n', fromYaml.Diagnostics));
        Assert.Equal(pa, fromYaml.Resources[0] with { Source = null });
    }

    [Fact]
    public void A_managed_fields_entry_with_an_unknown_operation_is_refused()
    {
        var read = ManifestReader.Read("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: foo
              managedFields:
              - manager: kubectl
                operation: Delete
                apiVersion: v1
                fieldsType: FieldsV1
                fieldsV1: {}
            """, "kubectl");
        Assert.Contains(read.Errors, e => e.Path.StartsWith("metadata.managedFields", StringComparison.Ordinal) && e.Path.EndsWith(".operation", StringComparison.Ordinal));
    }
}
