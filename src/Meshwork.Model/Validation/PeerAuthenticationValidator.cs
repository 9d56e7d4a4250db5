using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>PeerAuthentication: Istio's CEL rules on portLevelMtls (needs a selector; ports 1..65535).</summary>
internal sealed class PeerAuthenticationValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not PeerAuthentication pa) return;
        var spec = pa.Spec;
        Selector(ctx, "spec.selector", spec.Selector);
        if (!spec.PortLevelMtls.IsEmpty && (spec.Selector is null || spec.Selector.IsEmpty))
        {
            ctx.Error("spec.portLevelMtls", "portLevelMtls requires selector",
                "add spec.selector.matchLabels naming the workload; port-level settings apply to one workload's container ports");
        }
        if (ctx.NodeAt("spec.portLevelMtls") is MappingNode { Entries.Count: 0 })
        {
            ctx.Error("spec.portLevelMtls", "port level mTLS, if defined, must have at least one element", "remove portLevelMtls, or add a port: {8080: {mode: DISABLE}}");
        }
        foreach (var port in spec.PortLevelMtls.Keys)
        {
            if (!InPortRange(port))
            {
                ctx.Error($"spec.portLevelMtls[{port}]", $"port {port} is out of range", "port keys must be between 1 and 65535");
            }
        }
    }
}
