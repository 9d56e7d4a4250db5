using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.ServerSideApply;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>
/// Server-side apply: PATCH with <c>application/apply-patch+yaml</c>, <c>?fieldManager=</c> and
/// <c>?force=</c> (kubectl apply --server-side [--field-manager] [--force-conflicts]).
/// </remarks>
public static partial class ConfigApiEndpoints
{
    public const string ApplyPatchContentType = "application/apply-patch+yaml";

    private static bool IsServerSideApply(HttpRequest request) =>
        (request.ContentType ?? "").Split(';')[0].Trim().Equals(ApplyPatchContentType, StringComparison.OrdinalIgnoreCase);

    private static async Task<IResult> ServerSideApplyAsync(HttpContext context, IResourceStore store, KindInfo kind, ResourceKey key)
    {
        IResult Bad(string message) => Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, message, kind, key.Name), KubeStatus.BadRequest, message);

        var manager = context.Request.Query["fieldManager"].ToString();
        if (manager.Length == 0) return Bad("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");
        if (manager.Length > 128) return Bad("fieldManager: Too long: may not be more than 128 bytes");
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        JsonObject applied;
        try
        {
            // kubectl sends the applied configuration as JSON, which is YAML too.
            applied = JsonNode.Parse(body!) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            return Bad($"the applied configuration must be a JSON object: {e.Message}");
        }
        if (applied["metadata"] is not JsonObject metadata) return Bad("metadata: Required value");
        if (metadata.ContainsKey("managedFields")) return Bad("metadata.managedFields must be nil");
        if (applied["kind"]?.GetValueKind() != JsonValueKind.String || applied["kind"]!.GetValue<string>() != kind.Kind)
        {
            return Bad($"the applied configuration is not a {kind.Kind}");
        }
        if (metadata["name"]?.GetValueKind() != JsonValueKind.String || metadata["name"]!.GetValue<string>() != key.Name)
        {
            return Bad($"the name of the object ({metadata["name"]}) does not match the name on the URL ({key.Name})");
        }
        if (kind.Namespaced)
        {
            if (metadata["namespace"] is null) metadata["namespace"] = key.Namespace;
            else if (metadata["namespace"]!.GetValueKind() != JsonValueKind.String || metadata["namespace"]!.GetValue<string>() != key.Namespace)
            {
                return Bad($"the namespace of the provided object ({metadata["namespace"]}) does not match the namespace sent on the request ({key.Namespace})");
            }
        }

        var current = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
        var live = current is null ? null : ResourceJson.ToJsonObject(current);
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var decision = ServerSideApplier.Apply(live, current?.Metadata.ManagedFields ?? [], applied, manager, IsTrue(context.Request.Query["force"]), now);
        if (decision is ApplyDecision.Refused { } taken && live is not null && ServerSideApplier.ConflictsAllowedByLastApplied(live, taken.Conflicts, manager))
        {
            decision = ServerSideApplier.Apply(live, current!.Metadata.ManagedFields, applied, manager, force: true, now);
        }
        if (decision is ApplyDecision.Refused refused)
        {
            var message = ServerSideApplier.ConflictMessage(refused.Conflicts);
            var causes = refused.Conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with {ServerSideApplier.ManagerName(c.Owner)}", c.Path.ToString()));
            return Refuse(context, KubeStatus.Failure(KubeStatus.Conflict, message, kind, key.Name, causes), KubeStatus.Conflict, message);
        }
        var merged = (ApplyDecision.Merged)decision;
        var (resource, error) = ParseOne(context, merged.Object.ToJsonString(), kind, key.Namespace, key.Name);
        if (error is not null) return error;
        var parsed = resource!;
        resource = parsed with { Metadata = parsed.Metadata with { ManagedFields = merged.ManagedFields } };
        // Applying what is already there changes nothing: no write, no new resourceVersion.
        if (current is not null && resource.Equals(current)) return Json(ResourceJson.Serialize(current), StatusCodes.Status200OK);
        if (await RefuseIstiodRestartAsync(context, kind, current, resource).ConfigureAwait(false) is { } restartRefused) return restartRefused;
        if (DryRun.IsRequested(context.Request)) return Json(ResourceJson.Serialize(resource), current is null ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        if (current is null)
        {
            var created = await store.CreateAsync(resource, context.RequestAborted).ConfigureAwait(false);
            ConfigApiLog.Written(Logger(context), "Applied", created.Ref, created.Metadata.ResourceVersion);
            return Json(ResourceJson.Serialize(created), StatusCodes.Status201Created);
        }
        var stored = await store.PutAsync(resource, context.RequestAborted).ConfigureAwait(false);
        ConfigApiLog.Written(Logger(context), "Applied", stored.Ref, stored.Metadata.ResourceVersion);
        await IstiodWrittenAsync(context, stored).ConfigureAwait(false);
        return Json(ResourceJson.Serialize(stored), StatusCodes.Status200OK);
    }
}
