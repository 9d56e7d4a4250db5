using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Patching;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>The writes beyond create, replace and delete: PATCH and the transactional multi-object apply.</remarks>
public static partial class ConfigApiEndpoints
{
    /// <summary>
    /// PATCH: the stored object as JSON, patched as the Content-Type says, read back through the
    /// manifest reader like any other write, and stored only if the object is still at the version
    /// that was patched (Conflict otherwise, as Kubernetes answers a concurrent update).
    /// </summary>
    private static async Task<IResult> PatchAsync(HttpContext context, IResourceStore store, KindInfo kind, ResourceKey key)
    {
        if (IsServerSideApply(context.Request)) return await ServerSideApplyAsync(context, store, kind, key).ConfigureAwait(false);
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        var current = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
        if (current is null) return NotFound(context, kind, key.Name);
        JsonNode? patched;
        try
        {
            patched = PatchType.TryApply(context.Request.ContentType, ResourceJson.ToJsonObject(current), JsonNode.Parse(body!));
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, $"the patch cannot be applied: {e.Message}", kind, key.Name), KubeStatus.BadRequest, e.Message);
        }
        if (patched is null)
        {
            var message = $"the patch Content-Type \"{context.Request.ContentType}\" is not one of {PatchType.Json}, {PatchType.Merge}, {PatchType.Strategic}";
            return Refuse(context, KubeStatus.Failure(KubeStatus.UnsupportedMediaType, message, kind, key.Name), KubeStatus.UnsupportedMediaType, message);
        }
        if (patched is JsonObject { } patchedObject && patchedObject["metadata"] is JsonObject metadata && metadata["resourceVersion"] is null)
        {
            // A patch that removes resourceVersion still applies to the version it was computed against.
            metadata["resourceVersion"] = current.Metadata.ResourceVersion;
        }
        var (parsed, error) = ParseOne(context, patched.ToJsonString(), kind, key.Namespace, key.Name);
        if (error is not null) return error;
        if (parsed!.Equals(current)) return Json(ResourceJson.Serialize(current), StatusCodes.Status200OK);
        var (resource, refused) = WithUpdateManagers(context, kind, current, parsed);
        if ((refused ?? await RefuseIstiodRestartAsync(context, kind, current, resource!).ConfigureAwait(false)) is { } refusal) return refusal;
        if (DryRun.IsRequested(context.Request)) return Json(ResourceJson.Serialize(resource!), StatusCodes.Status200OK);
        var stored = await store.PutAsync(resource!, context.RequestAborted).ConfigureAwait(false);
        ConfigApiLog.Written(Logger(context), "Patched", stored.Ref, stored.Metadata.ResourceVersion);
        await IstiodWrittenAsync(context, stored).ConfigureAwait(false);
        return Json(ResourceJson.Serialize(stored), StatusCodes.Status200OK);
    }


    private static async Task<IResult> ApplyAsync(HttpContext context)
    {
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        var defaultNamespace = context.Request.Query["namespace"].ToString() is { Length: > 0 } ns ? ns : "default";
        var read = ManifestReader.Read(body!, "request body", defaultNamespace);
        AddWarnings(context, read);
        if (read.HasErrors)
        {
            return Refuse(context, KubeStatus.FromDiagnostics(read, null), KubeStatus.Invalid, string.Join("; ", read.Errors));
        }
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        try
        {
            var applied = await store.ApplyAsync(read.Resources, context.RequestAborted).ConfigureAwait(false);
            var revision = applied.Select(a => long.Parse(a.Resource.Metadata.ResourceVersion ?? "0", CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            ConfigApiLog.Applied(Logger(context), applied.Length, applied.Count(a => a.Outcome != ApplyOutcome.Unchanged), revision);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("apiVersion", "meshwork.io/v1");
                writer.WriteString("kind", "ApplyResult");
                writer.WriteStartArray("items");
                foreach (var item in applied)
                {
                    writer.WriteStartObject();
                    writer.WriteString("outcome", item.Outcome.ToString().ToLowerInvariant());
                    writer.WritePropertyName("object");
                    writer.WriteRawValue(ResourceJson.Serialize(item.Resource));
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            return Json(Encoding.UTF8.GetString(buffer.ToArray()), StatusCodes.Status200OK);
        }
        catch (StoreException e)
        {
            return Refuse(context, KubeStatus.FromStore(e, null), e.Kind.ToString(), e.Message);
        }
    }
}
