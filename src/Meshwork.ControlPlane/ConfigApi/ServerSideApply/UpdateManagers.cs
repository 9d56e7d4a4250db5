using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.ConfigApi.ServerSideApply;

/// <summary>
/// Field ownership for the writes that are not server-side apply (create, update, patch), as Kubernetes
/// records it: the writer's manager (<c>kubectl-create</c>, <c>kubectl-client-side-apply</c>,
/// <c>kubectl-label</c>, <c>kubectl-rollout</c>, …) gets an <c>Update</c> entry owning every field it set
/// or changed, and those fields leave every other manager, since an update takes fields without conflict.
/// A later server-side apply then names that manager in its conflicts. Pure: the endpoints read and store.
/// </summary>
public static class UpdateManagers
{
    /// <summary>
    /// The managers after <paramref name="manager"/> wrote <paramref name="updated"/> over <paramref name="live"/>
    /// (null for a create). A write that changes no field leaves them as they were; a manager left with no field goes.
    /// </summary>
    public static ImmutableArray<ManagedFieldsEntry> Record(
        JsonObject? live, ImmutableArray<ManagedFieldsEntry> managers, JsonObject updated, string manager, string apiVersion, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(manager);
        managers = managers.IsDefault ? [] : managers;
        var after = FieldSet.Of(updated);
        var before = live is null ? FieldSet.Empty : FieldSet.Of(live);
        var set = after.Paths.Where(p => live is null || !JsonNode.DeepEquals(p.ValueIn(live), p.ValueIn(updated))).ToList();
        var removed = before.Paths.Where(p => !after.Contains(p)).ToList();
        if (set.Count == 0 && removed.Count == 0) return managers;
        var touched = set.Concat(removed).ToList();

        var entries = ImmutableArray.CreateBuilder<ManagedFieldsEntry>();
        FieldSet? mine = null;
        foreach (var entry in managers)
        {
            var owned = FieldSet.FromFieldsV1(entry.FieldsV1);
            var kept = owned.Except(owned.Paths.Where(p => touched.Any(p.Overlaps)).ToList());
            if (IsUpdater(entry, manager, apiVersion))
            {
                mine = kept;
                continue;
            }
            if (kept.IsEmpty) continue;
            entries.Add(kept.Paths.Count == owned.Paths.Count ? entry : entry with { FieldsV1 = kept.ToFieldsV1() });
        }
        var fields = (mine ?? FieldSet.Empty).Union(set);
        // As Kubernetes, a manager left with no field has no entry (a write that only removed fields, say).
        if (fields.IsEmpty) return entries.ToImmutable();
        entries.Add(new ManagedFieldsEntry
        {
            Manager = manager,
            Operation = ManagedFieldsEntry.UpdateOperation,
            ApiVersion = apiVersion,
            Time = ServerSideApplier.TruncateToSeconds(now),
            FieldsV1 = fields.ToFieldsV1(),
        });
        return entries.ToImmutable();
    }

    /// <summary>
    /// The manager of a write, as the Kubernetes API server names it: <c>?fieldManager=</c>, else the
    /// User-Agent up to its first '/' (<c>kubectl/v1.30.0 (linux/amd64) …</c> is <c>kubectl</c>); null and the
    /// reason when it is too long.
    /// </summary>
    public static (string? Manager, string? Problem) ManagerOf(string? fieldManager, string? userAgent)
    {
        var manager = string.IsNullOrEmpty(fieldManager) ? (userAgent ?? "").Split('/')[0].Trim() : fieldManager;
        if (manager.Length > MaxManagerLength) return string.IsNullOrEmpty(fieldManager) ? (manager[..MaxManagerLength], null) : (null, $"fieldManager: Too long: may not be more than {MaxManagerLength} bytes");
        return (manager, null);
    }

    public const int MaxManagerLength = 128;

    private static bool IsUpdater(ManagedFieldsEntry entry, string manager, string apiVersion) =>
        entry.Manager == manager && entry.Operation == ManagedFieldsEntry.UpdateOperation && entry.ApiVersion == apiVersion;
}
