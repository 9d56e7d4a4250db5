using System.Text.RegularExpressions;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>
/// VirtualService HTTP routes beyond their destinations: regular expressions that compile (RE2 syntax is a
/// subset of .NET's for what routes use), weights that add up to 100 when a route splits traffic, and a URI rewrite
/// only where a prefix or exact match says what it replaces.
/// </summary>
internal sealed class HttpRouteValidator : ResourceValidator
{
    /// <summary>Bounds a regex match on the request path (a pattern that backtracks cannot stall a proxy).</summary>
    public static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(50);

    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not VirtualService vs) return;
        for (var i = 0; i < vs.Spec.Http.Length; i++)
        {
            var route = vs.Spec.Http[i];
            var path = $"spec.http[{i}]";
            for (var m = 0; m < route.Match.Length; m++)
            {
                var match = route.Match[m];
                var mpath = $"{path}.match[{m}]";
                Pattern(ctx, $"{mpath}.uri", match.Uri);
                Pattern(ctx, $"{mpath}.method", match.Method);
                foreach (var (name, value) in match.Headers) Pattern(ctx, $"{mpath}.headers[{name}]", value);
                foreach (var (name, value) in match.QueryParams) Pattern(ctx, $"{mpath}.queryParams[{name}]", value);
                if (route.Rewrite?.Uri is not null && match.Uri is { } uri && uri.StartsWith("regex:", StringComparison.Ordinal))
                {
                    ctx.Error($"{path}.rewrite.uri", "a uri rewrite replaces the matched prefix, and a regex match has none", "match the uri with prefix or exact, or drop rewrite.uri");
                }
            }
            if (route.Route.Length > 1)
            {
                var sum = route.Route.Sum(d => d.Weight);
                if (sum != 100) ctx.Error($"{path}.route", $"the weights of a split add up to {sum}, not 100", "give every destination a weight, e.g. 50 and 50");
            }
        }
    }

    private static void Pattern(ReadContext ctx, string path, string? match)
    {
        if (match is null || !match.StartsWith("regex:", StringComparison.Ordinal)) return;
        try { _ = new Regex(match["regex:".Length..], RegexOptions.CultureInvariant, RegexBudget); }
        catch (ArgumentException e)
        {
            ctx.Error($"{path}.regex", $"invalid regular expression: {e.Message}", "Istio uses RE2 syntax, e.g. ^/api/v[0-9]+/.*");
        }
    }
}
