using System.Text.RegularExpressions;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <remarks><c>kubectl explain</c> of the mesh kinds, from the config API's OpenAPI v3 documents.</remarks>
public sealed partial class KubectlTests
{
    [Fact]
    public async Task Explain_prints_a_mesh_kinds_fields_their_types_and_values_and_names_a_missing_field()
    {
        var mtls = await ExplainAsync("peerauthentication.spec.mtls",
            @"(?m)^GROUP:\s+security\.istio\.io$", @"(?m)^KIND:\s+PeerAuthentication$", @"(?m)^FIELD:\s+mtls\s+<Object>$", @"(?m)^\s+mode\s+<string>$");
        // kubectl wraps descriptions at its width; the words stay in order.
        Assert.Matches(@"UNSET,\s+DISABLE,\s+PERMISSIVE,\s+STRICT", mtls);
        Assert.Matches(@"STRICT\s+accepts\s+mutual\s+TLS\s+only", mtls);

        // Short names, nested arrays, maps and every mesh kind.
        await ExplainAsync("ap.spec.rules.from.source.principals", @"(?m)^FIELD:\s+principals\s+<\[\]string>$");
        // A field that is itself an enumeration lists its values under ENUM.
        await ExplainAsync("dr.spec.trafficPolicy.tls.mode", @"(?m)^ENUM:\s+DISABLE\s+SIMPLE\s+MUTUAL\s+ISTIO_MUTUAL\s+DESCRIPTION:");
        await ExplainAsync("gw.spec.servers.port.number", @"(?m)^FIELD:\s+number\s+<integer>$");
        await ExplainAsync("vs.spec.http.route.destination.host", @"(?m)^FIELD:\s+host\s+<string>$");
        await ExplainAsync("sidecar.spec.outboundTrafficPolicy.mode", @"(?m)^ENUM:\s+ALLOW_ANY\s+REGISTRY_ONLY\s+DESCRIPTION:");
        await ExplainAsync("pa.spec", @"(?m)^\s+portLevelMtls\s+<map\[string\]Object>$");

        var missing = await _kubectl.RunAsync("explain", "pa.spec.mtls.nope");
        Assert.True(missing.ExitCode == 1 && missing.Stderr.Contains("field \"nope\" does not exist", StringComparison.Ordinal), missing.ToString());
    }

    /// <summary>Runs kubectl explain and checks each pattern, showing the whole output when one is missing.</summary>
    private async Task<string> ExplainAsync(string field, params string[] patterns)
    {
        var output = await _kubectl.SucceedAsync("explain", field);
        foreach (var pattern in patterns) Assert.True(Regex.IsMatch(output, pattern), $"kubectl explain {field}: no match for {pattern} in\n{output}");
        return output;
    }
}
