using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <remarks>Field managers of kubectl's plain writes (create, label, apply), as a later server-side apply sees them.</remarks>
public sealed partial class KubectlTests
{
    private async Task<JsonArray> ManagedFieldsOfDefaultPaAsync() =>
        JsonNode.Parse(await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "json", "--show-managed-fields"))!["metadata"]!["managedFields"]!.AsArray();

    /// <summary>Creates the namespace foo; returns the files of its default policy, STRICT and PERMISSIVE.</summary>
    private async Task<(string Strict, string Permissive)> NamespaceFooAndItsPolicyFilesAsync()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var strict = Sample("mtls-migration/mtls-ns.yaml");
        return (strict, Copy(strict, y => y.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Create_and_label_record_their_managers_and_a_server_side_apply_names_the_owner_in_its_conflict()
    {
        var (strict, permissive) = await NamespaceFooAndItsPolicyFilesAsync();

        await _kubectl.SucceedAsync("create", "-n", "foo", "-f", strict);
        await _kubectl.SucceedAsync("label", "pa", "default", "-n", "foo", "team=mesh");

        var managed = await ManagedFieldsOfDefaultPaAsync();
        Assert.Equal([("kubectl-create", "Update"), ("kubectl-label", "Update")],
            managed.Select(e => (e!["manager"]!.GetValue<string>(), e["operation"]!.GetValue<string>())));
        Assert.NotNull(managed[0]!["fieldsV1"]!["f:spec"]!["f:mtls"]!["f:mode"]);
        Assert.NotNull(managed[1]!["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:team"]);

        var conflict = await _kubectl.RunAsync("apply", "--server-side", "--field-manager=mesh-admin", "-n", "foo", "-f", permissive);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl-create\" using security.istio.io/", conflict.Stderr);
        Assert.Contains(": .spec.mtls.mode", conflict.Stderr);
        Assert.Equal("STRICT", (await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.spec.mtls.mode}")).Trim());
    }

    [Fact]
    public async Task A_client_side_apply_is_recorded_and_moved_to_server_side_apply_when_kubectl_switches()
    {
        var (strict, permissive) = await NamespaceFooAndItsPolicyFilesAsync();

        await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", strict);
        var entry = Assert.Single(await ManagedFieldsOfDefaultPaAsync())!;
        Assert.Equal(("kubectl-client-side-apply", "Update"), (entry["manager"]!.GetValue<string>(), entry["operation"]!.GetValue<string>()));

        // kubectl hands the client-side apply's fields to its server-side manager first (a JSON patch of managedFields), so no conflict.
        await _kubectl.SucceedAsync("apply", "--server-side", "-n", "foo", "-f", permissive);

        Assert.Equal("PERMISSIVE", (await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.spec.mtls.mode}")).Trim());
        Assert.DoesNotContain(await ManagedFieldsOfDefaultPaAsync(), e => e!["manager"]!.GetValue<string>() == "kubectl-client-side-apply");
    }
}
