using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Patching;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Patching;

public sealed class PatchTypeTests
{
    private static JsonNode Apply(string contentType, string target, string patch) =>
        PatchType.TryApply(contentType, JsonNode.Parse(target)!, JsonNode.Parse(patch))!;

    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual.ToJsonString()}");

    [Fact]
    public void Merge_patch_merges_objects_removes_nulls_and_replaces_lists()
    {
        // RFC 7386 appendix A, in part.
        var result = Apply(PatchType.Merge, """{"a":"b","c":{"d":"e","f":"g"},"l":[1,2]}""", """{"a":"z","c":{"f":null},"l":[3]}""");
        AssertJson("""{"a":"z","c":{"d":"e"},"l":[3]}""", result);
    }

    [Fact]
    public void Json_patch_applies_every_operation_in_order()
    {
        var result = Apply(PatchType.Json, """{"metadata":{"labels":{"a":"1"}},"list":[1,2,3]}""", """
            [
              {"op":"test","path":"/metadata/labels/a","value":"1"},
              {"op":"add","path":"/metadata/labels/b~1c","value":"2"},
              {"op":"remove","path":"/list/0"},
              {"op":"add","path":"/list/-","value":4},
              {"op":"replace","path":"/metadata/labels/a","value":"x"},
              {"op":"copy","from":"/metadata/labels/a","path":"/copied"},
              {"op":"move","from":"/copied","path":"/moved"}
            ]
            """);
        AssertJson("""{"metadata":{"labels":{"a":"x","b/c":"2"}},"list":[2,3,4],"moved":"x"}""", result);
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""")]
    [InlineData("""[{"op":"add","path":"/list/9","value":1}]""")]
    [InlineData("""[{"op":"jump","path":"/a"}]""")]
    [InlineData("""{"op":"add"}""")]
    public void Json_patch_rejects_the_whole_patch_when_one_operation_cannot_apply(string patch)
    {
        Assert.Throws<FormatException>(() => Apply(PatchType.Json, """{"a":1,"list":[]}""", patch));
    }

    [Fact]
    public void Strategic_merge_patch_merges_containers_by_name_and_keeps_fields_it_does_not_name()
    {
        var target = """{"spec":{"containers":[{"name":"app","image":"a:1","command":["run"]},{"name":"side","image":"s:1"}]}}""";
        var patch = """{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"app"}],"containers":[{"name":"app","image":"a:2"}]}}""";
        AssertJson("""{"spec":{"containers":[{"name":"side","image":"s:1"},{"name":"app","image":"a:2","command":["run"]}]}}""", Apply(PatchType.Strategic, target, patch));
    }

    [Fact]
    public void Strategic_merge_patch_honours_delete_and_replace_directives_and_primitive_list_deletes()
    {
        var target = """{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}],"selector":{"app":"a","tier":"web"},"finalizers":["x","y"]}""";
        var patch = """{"ports":[{"port":443,"$patch":"delete"}],"selector":{"$patch":"replace","app":"b"},"$deleteFromPrimitiveList/finalizers":["x"]}""";
        AssertJson("""{"ports":[{"port":80,"name":"http"}],"selector":{"app":"b"},"finalizers":["y"]}""", Apply(PatchType.Strategic, target, patch));
    }

    [Fact]
    public void An_unknown_patch_type_is_not_applied()
    {
        Assert.Null(PatchType.TryApply("application/apply-patch+yaml", new JsonObject(), new JsonObject()));
    }
}
