using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <remarks>kubectl apply --server-side: field managers, conflicts named as Kubernetes names them, forced takeovers.</remarks>
public sealed partial class KubectlTests
{
    [Fact]
    public async Task Server_side_apply_records_the_manager_leaves_an_unchanged_object_alone_and_refuses_another_managers_change()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var strict = Sample("mtls-migration/mtls-ns.yaml");
        var permissive = Copy(strict, y => y.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal));

        Assert.Equal("peerauthentication.security.istio.io/default serverside-applied", (await _kubectl.SucceedAsync("apply", "--server-side", "-n", "foo", "-f", strict)).Trim());
        var created = JsonNode.Parse(await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "json", "--show-managed-fields"))!;
        var entry = Assert.Single(created["metadata"]!["managedFields"]!.AsArray())!;
        Assert.Equal("kubectl", entry["manager"]!.GetValue<string>());
        Assert.Equal("Apply", entry["operation"]!.GetValue<string>());
        Assert.NotNull(entry["fieldsV1"]!["f:spec"]!["f:mtls"]!["f:mode"]);

        // The same configuration again: nothing is written.
        await _kubectl.SucceedAsync("apply", "--server-side", "-n", "foo", "-f", strict);
        var again = JsonNode.Parse(await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "json", "--show-managed-fields"))!;
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), again["metadata"]!["resourceVersion"]!.GetValue<string>());

        // Another manager changing the field kubectl owns is refused, naming kubectl and the field.
        var conflict = await _kubectl.RunAsync("apply", "--server-side", "--field-manager=mesh-admin", "-n", "foo", "-f", permissive);
        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.mtls.mode", conflict.Stderr);
        Assert.Equal("STRICT", (await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.spec.mtls.mode}")).Trim());

        // Agreeing on the value is no conflict: both managers own the field.
        await _kubectl.SucceedAsync("apply", "--server-side", "--field-manager=auditor", "-n", "foo", "-f", strict);

        // Forced, the field changes hands: mesh-admin owns it and the others no longer do.
        await _kubectl.SucceedAsync("apply", "--server-side", "--field-manager=mesh-admin", "--force-conflicts", "-n", "foo", "-f", permissive);
        var forced = JsonNode.Parse(await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "json", "--show-managed-fields"))!;
        Assert.Equal("PERMISSIVE", forced["spec"]!["mtls"]!["mode"]!.GetValue<string>());
        var managers = forced["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).ToList();
        Assert.Equal(["mesh-admin"], managers);

        // kubectl, applying its old configuration again, now conflicts with mesh-admin.
        var back = await _kubectl.RunAsync("apply", "--server-side", "-n", "foo", "-f", strict);
        Assert.Equal(1, back.ExitCode);
        Assert.Contains("conflict with \"mesh-admin\": .spec.mtls.mode", back.Stderr);
    }
}
