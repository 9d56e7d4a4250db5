using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.ServerSideApply;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Tests.ConfigApi.ServerSideApply;

public sealed class UpdateManagersTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
    private const string V1 = "security.istio.io/v1";

    /// <summary>A PeerAuthentication with the given labels (JSON object text, or none) and mode (or no spec).</summary>
    private static JsonObject Pa(string? labels, string? mode)
    {
        var metadata = new JsonObject { ["name"] = "default", ["namespace"] = "foo", ["resourceVersion"] = "7" };
        if (labels is not null) metadata["labels"] = JsonNode.Parse(labels);
        var pa = new JsonObject { ["apiVersion"] = V1, ["kind"] = "PeerAuthentication", ["metadata"] = metadata };
        if (mode is not null) pa["spec"] = new JsonObject { ["mtls"] = new JsonObject { ["mode"] = mode } };
        return pa;
    }

    [Fact]
    public void A_create_gives_its_manager_every_field_it_set_at_a_whole_second()
    {
        var managers = UpdateManagers.Record(null, [], Pa("""{"team":"a"}""", "STRICT"), "kubectl-create", V1, Now);

        var entry = Assert.Single(managers);
        Assert.Equal(("kubectl-create", "Update", V1), (entry.Manager, entry.Operation, entry.ApiVersion));
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:team":{}}},"f:spec":{"f:mtls":{"f:mode":{}}}}""", entry.FieldsV1);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), entry.Time);
    }

    [Fact]
    public void An_update_takes_the_fields_it_changes_from_their_owners_and_leaves_the_rest_to_them()
    {
        var created = UpdateManagers.Record(null, [], Pa("""{"team":"a"}""", "STRICT"), "kubectl-client-side-apply", V1, Now);

        var labelled = UpdateManagers.Record(Pa("""{"team":"a"}""", "STRICT"), created, Pa("""{"team":"b"}""", "STRICT"), "kubectl-label", V1, Now.AddMinutes(1));

        Assert.Equal(["kubectl-client-side-apply", "kubectl-label"], labelled.Select(e => e.Manager));
        Assert.Equal("""{"f:spec":{"f:mtls":{"f:mode":{}}}}""", labelled[0].FieldsV1);
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:team":{}}}}""", labelled[1].FieldsV1);
        Assert.Equal(created[0].Time, labelled[0].Time);
    }

    [Fact]
    public void A_manager_that_takes_all_of_anothers_fields_leaves_it_no_entry_and_its_own_entry_grows()
    {
        var created = UpdateManagers.Record(null, [], Pa(null, "STRICT"), "kubectl-create", V1, Now);
        var first = UpdateManagers.Record(Pa(null, "STRICT"), created, Pa("""{"team":"a"}""", "STRICT"), "ops", V1, Now);

        var second = UpdateManagers.Record(Pa("""{"team":"a"}""", "STRICT"), first, Pa("""{"team":"a"}""", "PERMISSIVE"), "ops", V1, Now);

        var entry = Assert.Single(second);
        Assert.Equal("ops", entry.Manager);
        Assert.Equal("""{"f:metadata":{"f:labels":{"f:team":{}}},"f:spec":{"f:mtls":{"f:mode":{}}}}""", entry.FieldsV1);
    }

    [Fact]
    public void A_removed_field_leaves_its_owner_a_remover_owns_nothing_and_a_write_that_changes_nothing_leaves_the_managers_as_they_were()
    {
        var created = UpdateManagers.Record(null, [], Pa("""{"team":"a"}""", "STRICT"), "kubectl-create", V1, Now);

        var unchanged = UpdateManagers.Record(Pa("""{"team":"a"}""", "STRICT"), created, Pa("""{"team":"a"}""", "STRICT"), "kubectl-replace", V1, Now.AddMinutes(1));
        var unlabelled = UpdateManagers.Record(Pa("""{"team":"a"}""", "STRICT"), created, Pa(null, "STRICT"), "kubectl-label", V1, Now.AddMinutes(1));

        Assert.Equal(created, unchanged);
        var left = Assert.Single(unlabelled);
        Assert.Equal(("kubectl-create", """{"f:spec":{"f:mtls":{"f:mode":{}}}}"""), (left.Manager, left.FieldsV1));
    }

    [Fact]
    public void An_apply_entry_of_the_same_name_is_another_entry_and_loses_what_the_update_changes()
    {
        ImmutableArray<ManagedFieldsEntry> applied =
        [
            new() { Manager = "kubectl", Operation = "Apply", ApiVersion = V1, Time = Now, FieldsV1 = """{"f:spec":{"f:mtls":{"f:mode":{}}}}""" },
        ];

        var patched = UpdateManagers.Record(Pa(null, "STRICT"), applied, Pa(null, "DISABLE"), "kubectl", V1, Now);

        var entry = Assert.Single(patched);
        Assert.Equal(("kubectl", "Update"), (entry.Manager, entry.Operation));
    }

    [Theory]
    [InlineData("kubectl-label", "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b", "kubectl-label")]
    [InlineData(null, "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b", "kubectl")]
    [InlineData("", "meshwork/1.0", "meshwork")]
    public void The_manager_is_the_field_manager_else_the_user_agents_program(string? fieldManager, string userAgent, string expected)
    {
        Assert.Equal((expected, null), UpdateManagers.ManagerOf(fieldManager, userAgent));
    }

    [Fact]
    public void A_field_manager_longer_than_128_bytes_is_refused()
    {
        var (manager, problem) = UpdateManagers.ManagerOf(new string('m', 129), "kubectl/v1.30.0");

        Assert.Null(manager);
        Assert.Equal("fieldManager: Too long: may not be more than 128 bytes", problem);
    }
}
