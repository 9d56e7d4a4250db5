using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Discovery;
using Meshwork.ControlPlane.ConfigApi.OpenApi;
using Meshwork.Model.Schema;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Discovery;

public sealed class DiscoveryDocumentsTests
{
    [Fact]
    public void Every_kind_in_the_registry_is_discoverable_under_every_version_it_serves()
    {
        foreach (var kind in KindRegistry.All)
        {
            foreach (var version in kind.Versions)
            {
                var list = DiscoveryDocuments.ResourceList(kind.ApiGroup, version);
                var resource = Assert.Single(list["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == kind.Plural)!;
                Assert.Equal(kind.Kind, resource["kind"]!.GetValue<string>());
                Assert.Equal(kind.Namespaced, resource["namespaced"]!.GetValue<bool>());
                Assert.Equal(kind.ShortNames, (resource["shortNames"]?.AsArray() ?? []).Select(s => s!.GetValue<string>()));
                Assert.Contains("patch", resource["verbs"]!.AsArray().Select(v => v!.GetValue<string>()));
            }
        }
    }

    [Fact]
    public void The_group_list_prefers_the_first_version_of_each_group()
    {
        var groups = DiscoveryDocuments.GroupList()["groups"]!.AsArray();
        var security = Assert.Single(groups, g => g!["name"]!.GetValue<string>() == "security.istio.io")!;
        Assert.Equal("security.istio.io/v1", security["preferredVersion"]!["groupVersion"]!.GetValue<string>());
        Assert.Equal(["security.istio.io/v1", "security.istio.io/v1beta1"], security["versions"]!.AsArray().Select(v => v!["groupVersion"]!.GetValue<string>()));
        Assert.DoesNotContain(groups, g => g!["name"]!.GetValue<string>() == "");
    }

    [Fact]
    public void Each_openapi_document_tells_kubectl_that_patch_takes_field_validation_for_each_kind()
    {
        var root = OpenApiV3Documents.Root()["paths"]!.AsObject();
        foreach (var (path, reference) in root)
        {
            var url = reference!["serverRelativeURL"]!.GetValue<string>();
            Assert.StartsWith($"/openapi/v3/{path}?hash=", url);
            var document = OpenApiV3Documents.Document(path)!;
            var patches = document["paths"]!.AsObject().Select(p => p.Value!["patch"]).OfType<JsonObject>().ToList();
            Assert.NotEmpty(patches);
            foreach (var patch in patches)
            {
                Assert.NotNull(patch["x-kubernetes-group-version-kind"]!["kind"]);
                Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "fieldValidation" && p["in"]!.GetValue<string>() == "query");
            }
        }
        Assert.Null(OpenApiV3Documents.Document("apis/example.com/v1"));
        Assert.Null(OpenApiV3Documents.Document("api/v2"));
    }
}
