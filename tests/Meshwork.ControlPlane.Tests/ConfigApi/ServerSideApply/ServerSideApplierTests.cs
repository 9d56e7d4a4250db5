using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.ServerSideApply;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Tests.ConfigApi.ServerSideApply;

public sealed class ServerSideApplierTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>A PeerAuthentication with the given labels (JSON object text, or none) and mode (or no spec).</summary>
    private static JsonObject Pa(string? labels, string? mode)
    {
        var metadata = new JsonObject { ["name"] = "default", ["namespace"] = "foo" };
        if (labels is not null) metadata["labels"] = JsonNode.Parse(labels);
        var pa = new JsonObject { ["apiVersion"] = "security.istio.io/v1", ["kind"] = "PeerAuthentication", ["metadata"] = metadata };
        if (mode is not null) pa["spec"] = new JsonObject { ["mtls"] = new JsonObject { ["mode"] = mode } };
        return pa;
    }

    private static ApplyDecision.Merged Merged(ApplyDecision decision) => Assert.IsType<ApplyDecision.Merged>(decision);

    [Fact]
    public void A_field_the_manager_no_longer_applies_is_removed_unless_another_manager_owns_it()
    {
        var first = Merged(ServerSideApplier.Apply(null, [], Pa("""{"team":"a","tier":"b"}""", "STRICT"), "ops", force: false, Now));
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:team":{},"f:tier":{}}},"f:spec":{"f:mtls":{"f:mode":{}}}}""", first.ManagedFields[0].FieldsV1);

        // Another manager agrees on the tier label, so it stays when ops drops it; team goes.
        var shared = Merged(ServerSideApplier.Apply(first.Object, first.ManagedFields, Pa("""{"tier":"b"}""", null), "labeller", force: false, Now));
        var dropped = Merged(ServerSideApplier.Apply(shared.Object, shared.ManagedFields, Pa(null, "STRICT"), "ops", force: false, Now.AddMinutes(1)));

        Assert.Equal("""{"tier":"b"}""", dropped.Object["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal(["ops", "labeller"], dropped.ManagedFields.Select(e => e.Manager));
        Assert.Equal("""{"f:spec":{"f:mtls":{"f:mode":{}}}}""", dropped.ManagedFields[0].FieldsV1);
    }

    [Fact]
    public void Conflicts_name_every_other_manager_as_the_api_server_prints_them()
    {
        ImmutableArray<ManagedFieldsEntry> owners =
        [
            new() { Manager = "kubectl-client-side-apply", Operation = "Update", ApiVersion = "security.istio.io/v1", Time = Now, FieldsV1 = """{"f:spec":{"f:mtls":{"f:mode":{}}}}""" },
            new() { Manager = "ops", Operation = "Apply", ApiVersion = "security.istio.io/v1", Time = Now, FieldsV1 = """{"f:metadata":{"f:labels":{"f:team":{}}}}""" },
        ];
        var live = Pa("""{"team":"a"}""", "STRICT");

        var refused = Assert.IsType<ApplyDecision.Refused>(ServerSideApplier.Apply(live, owners, Pa("""{"team":"b"}""", "DISABLE"), "mesh-admin", force: false, Now));

        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using security.istio.io/v1 at 2026-01-02T03:04:05Z:\n- .spec.mtls.mode\nconflicts with \"ops\":\n- .metadata.labels.team",
            ServerSideApplier.ConflictMessage(refused.Conflicts));
    }
}
