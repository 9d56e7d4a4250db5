using System.Text;
using Meshwork.ControlPlane.ConfigApi.Protobuf;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Protobuf;

/// <summary>Protobuf bodies are read for the kinds kubectl's typed commands create, and refused by name otherwise.</summary>
public class KubernetesProtobufTests
{
    private static byte[] Field(int number, byte[] value) => [(byte)((number << 3) | 2), (byte)value.Length, .. value];
    private static byte[] Field(int number, string value) => Field(number, Encoding.UTF8.GetBytes(value));

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8.ToArray(), .. Field(1, [.. Field(1, apiVersion), .. Field(2, kind)]), .. Field(2, raw)];

    [Fact]
    public void A_secret_becomes_json_with_its_data_in_base64_and_empty_fields_left_out()
    {
        byte[] metadata = [.. Field(1, "greeting"), .. Field(3, "foo"), .. Field(4, ""), .. Field(11, [.. Field(1, "app"), .. Field(2, "demo")])];
        byte[] secret = [.. Field(1, metadata), .. Field(2, [.. Field(1, "text"), .. Field(2, "hello")]), .. Field(3, "Opaque")];

        var json = KubernetesProtobuf.ToJson(Envelope("v1", "Secret", secret), out var refusal);

        Assert.Null(refusal);
        Assert.Equal("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"greeting","namespace":"foo","labels":{"app":"demo"}},"data":{"text":"aGVsbG8="},"type":"Opaque"}""", json!.ToJsonString());
    }

    [Fact]
    public void Other_kinds_and_unmapped_fields_are_refused_by_name()
    {
        KubernetesProtobuf.ToJson(Envelope("apps/v1", "Deployment", []), out var kind);
        Assert.Equal("Deployment of apps/v1 is not read from protobuf", kind);

        KubernetesProtobuf.ToJson(Envelope("v1", "Namespace", Field(1, Field(13, "owner"))), out var field);
        Assert.Equal("field 13 of ObjectMeta is not read from protobuf", field);

        var truncated = Envelope("v1", "Namespace", Field(1, Field(1, "foo")))[..^2];
        KubernetesProtobuf.ToJson(truncated, out var malformed);
        Assert.Equal("a length runs past the end of the message", malformed);

        KubernetesProtobuf.ToJson("{\"kind\":\"Namespace\"}"u8, out var notProtobuf);
        Assert.StartsWith("the body does not start with the Kubernetes protobuf envelope", notProtobuf);
    }
}
