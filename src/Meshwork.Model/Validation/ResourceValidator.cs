using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>
/// One rule group over a typed resource. Validators report through the document's context, which
/// turns a field path into the line and column it was read from.
/// </summary>
internal abstract class ResourceValidator
{
    public abstract void Validate(Resource resource, ReadContext ctx);

    /// <summary>Every validator, in the order their findings read best (metadata first).</summary>
    public static readonly ImmutableArray<ResourceValidator> All =
    [
        new MetadataValidator(),
        new DataKeysValidator(),
        new ServiceValidator(),
        new WorkloadValidator(),
        new PeerAuthenticationValidator(),
        new AuthorizationPolicyValidator(),
        new DestinationRuleValidator(),
        new GatewayValidator(),
        new VirtualServiceValidator(),
        new HttpRouteValidator(),
        new SidecarValidator(),
    ];

    public static void ValidateAll(Resource resource, ReadContext ctx)
    {
        foreach (var validator in All) validator.Validate(resource, ctx);
    }

    protected static void Labels(ReadContext ctx, string path, ImmutableSortedDictionary<string, string> labels, bool checkValues = true)
    {
        foreach (var (key, value) in labels)
        {
            if (Names.QualifiedName(key) is { } keyError)
            {
                ctx.Error($"{path}[{key}]", $"invalid key \"{key}\": {keyError}", "keys look like app, or example.com/app");
            }
            if (checkValues && Names.LabelValue(value) is { } valueError)
            {
                ctx.Error($"{path}[{key}]", $"invalid value \"{value}\": {valueError}");
            }
        }
    }

    /// <summary>
    /// Istio's WorkloadSelector rules: valid labels, no wildcards, and a warning for a selector
    /// without labels (it selects every workload, as no selector would).
    /// </summary>
    protected static void Selector(ReadContext ctx, string path, LabelSelector? selector)
    {
        if (selector is null) return;
        var plain = selector.MatchLabels;
        foreach (var (key, value) in selector.MatchLabels)
        {
            if (key.Contains('*') || value.Contains('*'))
            {
                ctx.Error($"{path}.matchLabels[{key}]", $"wildcard is not supported in selector: \"{key}={value}\"", "selectors match label values exactly");
                plain = plain.Remove(key);
            }
        }
        Labels(ctx, $"{path}.matchLabels", plain);
        // Only when the selector was written empty; a misspelt field inside it is already an error.
        if (selector.IsEmpty && ctx.NodeAt(path) is MappingNode written && written.Entries.All(e => e.Key.Value == "matchLabels"))
        {
            ctx.Warning(path, "workload selector specified without labels; it selects every workload, as no selector would");
        }
    }

    protected static bool InPortRange(int port) => port is >= 1 and <= 65535;
}
