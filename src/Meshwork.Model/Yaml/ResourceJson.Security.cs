using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <remarks>security.istio.io bodies: PeerAuthentication and AuthorizationPolicy.</remarks>
public static partial class ResourceJson
{
    private static JsonObject PeerAuthenticationSpec(PeerAuthenticationSpec spec)
    {
        var o = new JsonObject();
        if (spec.Selector is { } selector) o["selector"] = MatchLabels(selector);
        if (spec.Mode != MtlsMode.Unset) o["mtls"] = new JsonObject { ["mode"] = Upper(spec.Mode.ToString()) };
        if (!spec.PortLevelMtls.IsEmpty)
        {
            var ports = new JsonObject();
            foreach (var (port, mode) in spec.PortLevelMtls)
            {
                var entry = new JsonObject();
                if (mode != MtlsMode.Unset) entry["mode"] = Upper(mode.ToString());
                ports[port.ToString(CultureInfo.InvariantCulture)] = entry;
            }
            o["portLevelMtls"] = ports;
        }
        return o;
    }

    private static JsonObject AuthorizationPolicySpec(AuthorizationPolicySpec spec)
    {
        var o = new JsonObject();
        if (spec.Selector is { } selector) o["selector"] = MatchLabels(selector);
        if (spec.Action != AuthorizationAction.Allow) o["action"] = Upper(spec.Action.ToString());
        if (spec.Provider is { } provider) o["provider"] = new JsonObject { ["name"] = provider };
        Put(o, "rules", Array(spec.Rules, r =>
        {
            var rule = new JsonObject();
            Put(rule, "from", Array(r.From, s => new JsonObject { ["source"] = Source(s) }));
            Put(rule, "to", Array(r.To, op => new JsonObject { ["operation"] = Operation(op) }));
            Put(rule, "when", Array(r.When, c =>
            {
                var condition = new JsonObject { ["key"] = c.Key };
                Put(condition, "values", Strings(c.Values));
                Put(condition, "notValues", Strings(c.NotValues));
                return condition;
            }));
            return rule;
        }));
        return o;
    }

    private static JsonObject Source(AuthorizationSource s)
    {
        var o = new JsonObject();
        Put(o, "principals", Strings(s.Principals));
        Put(o, "notPrincipals", Strings(s.NotPrincipals));
        Put(o, "requestPrincipals", Strings(s.RequestPrincipals));
        Put(o, "notRequestPrincipals", Strings(s.NotRequestPrincipals));
        Put(o, "namespaces", Strings(s.Namespaces));
        Put(o, "notNamespaces", Strings(s.NotNamespaces));
        Put(o, "ipBlocks", Strings(s.IpBlocks));
        Put(o, "notIpBlocks", Strings(s.NotIpBlocks));
        Put(o, "remoteIpBlocks", Strings(s.RemoteIpBlocks));
        Put(o, "notRemoteIpBlocks", Strings(s.NotRemoteIpBlocks));
        return o;
    }

    private static JsonObject Operation(AuthorizationOperation op)
    {
        var o = new JsonObject();
        Put(o, "hosts", Strings(op.Hosts));
        Put(o, "notHosts", Strings(op.NotHosts));
        Put(o, "ports", Strings(op.Ports));
        Put(o, "notPorts", Strings(op.NotPorts));
        Put(o, "methods", Strings(op.Methods));
        Put(o, "notMethods", Strings(op.NotMethods));
        Put(o, "paths", Strings(op.Paths));
        Put(o, "notPaths", Strings(op.NotPaths));
        return o;
    }
}
