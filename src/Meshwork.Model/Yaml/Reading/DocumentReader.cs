using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Turns one loaded document into a typed, validated resource.</summary>
internal static class DocumentReader
{
    /// <summary>Reads and validates; returns the resource (even when it has errors) or null when the kind is unusable.</summary>
    public static Resource? Read(ReadContext ctx, string? defaultNamespace)
    {
        if (ctx.Root is not MappingNode)
        {
            ctx.Error(ctx.Root, "", $"a document must be an object with apiVersion, kind and metadata, got {ReadContext.Describe(ctx.Root)}");
            return null;
        }
        var top = ctx.MapAt(ctx.Root, "");
        var apiVersion = top.String("apiVersion");
        var kind = top.String("kind");
        if (kind is null)
        {
            if (!ctx.Has("kind")) ctx.Error("kind", "missing kind", $"supported kinds: {KindRegistry.KindList}");
            return null;
        }
        if (!KindRegistry.TryGetKind(kind, out var info))
        {
            if (KindRegistry.KnownUnsupportedKinds.Contains(kind))
            {
                ctx.Error("kind", $"kind {kind} is not supported by Meshwork", $"supported kinds: {KindRegistry.KindList}");
                return null;
            }
            var near = Suggest.Closest(kind, KindRegistry.All.Select(k => k.Kind));
            ctx.Error("kind", $"unknown kind \"{kind}\"", (near is null ? "" : $"did you mean {near}? ") + $"supported kinds: {KindRegistry.KindList}");
            return null;
        }
        if (apiVersion is null)
        {
            if (!ctx.Has("apiVersion")) ctx.Error("apiVersion", "missing apiVersion", $"{kind} is served as {string.Join(", ", info.ApiVersions)}");
        }
        else if (!info.Serves(apiVersion))
        {
            ctx.Error("apiVersion", $"apiVersion \"{apiVersion}\" does not serve kind {kind}", $"use one of: {string.Join(", ", info.ApiVersions)}");
        }
        var version = apiVersion is not null && info.Serves(apiVersion) ? apiVersion : info.PreferredApiVersion;

        var metaReader = top.Map("metadata");
        if (!metaReader.Present && !ctx.Has("metadata")) ctx.Error("metadata", "missing metadata", "add metadata: {name: my-name}");
        var meta = CoreReaders.Metadata(metaReader);

        Resource resource = kind switch
        {
            "Namespace" => CoreReaders.Namespace(top, version, meta),
            "ServiceAccount" => CoreReaders.ServiceAccount(top, version, meta),
            "ConfigMap" => CoreReaders.ConfigMap(top, version, meta),
            "Secret" => CoreReaders.Secret(top, version, meta),
            "Service" => CoreReaders.Service(top, version, meta),
            "Deployment" => CoreReaders.Deployment(top, version, meta),
            "Pod" => CoreReaders.Pod(top, version, meta),
            "Node" => NodeReader.Node(top, version, meta),
            "PeerAuthentication" => SecurityReaders.PeerAuthentication(top, version, meta),
            "AuthorizationPolicy" => SecurityReaders.AuthorizationPolicy(top, version, meta),
            "DestinationRule" => NetworkingReaders.DestinationRule(top, version, meta),
            "Gateway" => NetworkingReaders.Gateway(top, version, meta),
            "VirtualService" => NetworkingReaders.VirtualService(top, version, meta),
            "Sidecar" => SidecarReader.Sidecar(top, version, meta),
            _ => throw new InvalidOperationException($"kind {kind} is registered but has no reader"),
        };
        // Status of kinds without one in the model is the server's business, never intent.
        top.Accept("status");
        top.Finish();

        ResourceValidator.ValidateAll(resource, ctx);

        var ns = resource.IsNamespaced ? meta.Namespace ?? defaultNamespace : null;
        if (ns != meta.Namespace) resource = resource with { Metadata = meta with { Namespace = ns } };
        return resource with { Source = new SourceLocation(ctx.File, ctx.Document, ctx.Root.Line, ctx.Root.Column) };
    }
}
