using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Resources;

/// <summary>Equality is the change detector: same content is equal, any kept field changing is not.</summary>
public class EqualityTests
{
    private const string Policy = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: a, namespace: foo, labels: {x: y}}
        spec:
          selector: {matchLabels: {app: httpbin}}
          rules:
          - from: [{source: {principals: [cluster.local/ns/foo/sa/sleep]}}]
            to: [{operation: {methods: [GET]}}]
        """;

    [Fact]
    public void The_same_manifest_read_twice_from_different_files_is_equal_with_equal_hashes()
    {
        var a = Assert.Single(ManifestReader.Read(Policy, "a.yaml").Resources);
        var b = Assert.Single(ManifestReader.Read("# moved\n" + Policy, "b.yaml").Resources);
        Assert.NotEqual(a.Source, b.Source);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Theory]
    [InlineData("sa/sleep]", "sa/other]")]
    [InlineData("[GET]", "[POST]")]
    [InlineData("app: httpbin", "app: web")]
    [InlineData("{x: y}", "{x: z}")]
    [InlineData("security.istio.io/v1\n", "security.istio.io/v1beta1\n")]
    public void A_changed_field_is_a_change(string from, string to)
    {
        var a = Assert.Single(ManifestReader.Read(Policy, "a.yaml").Resources);
        var b = Assert.Single(ManifestReader.Read(Policy.Replace(from, to, StringComparison.Ordinal), "a.yaml").Resources);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Different_kinds_with_the_same_metadata_are_not_equal()
    {
        var meta = new ObjectMeta { Name = "x", Namespace = "foo" };
        Resource sa = new ServiceAccount { ApiVersion = "v1", Metadata = meta };
        Resource cm = new ConfigMap { ApiVersion = "v1", Metadata = meta };
        Assert.NotEqual(sa, cm);
    }

    [Fact]
    public void Secret_bytes_compare_by_content()
    {
        Secret Make(byte last) => new()
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "s" },
            Data = System.Collections.Immutable.ImmutableSortedDictionary<string, System.Collections.Immutable.ImmutableArray<byte>>.Empty.Add("k", [1, 2, last]),
        };
        Assert.Equal(Make(3), Make(3));
        Assert.NotEqual(Make(3), Make(4));
    }
}
