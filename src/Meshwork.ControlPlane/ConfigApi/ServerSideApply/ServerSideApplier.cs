using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.ConfigApi.ServerSideApply;

/// <summary>A field another manager owns with a different value than the one applied.</summary>
public sealed record FieldConflict(ManagedFieldsEntry Owner, FieldPath Path);

/// <summary>What a server-side apply decides: the object to store, or the conflicts that refuse it.</summary>
public abstract record ApplyDecision
{
    private ApplyDecision() { }

    /// <summary>The object as it will be stored (without metadata.managedFields) and its managers.</summary>
    public sealed record Merged(JsonObject Object, ImmutableArray<ManagedFieldsEntry> ManagedFields) : ApplyDecision;

    public sealed record Refused(ImmutableArray<FieldConflict> Conflicts) : ApplyDecision;
}

/// <summary>
/// Kubernetes' server-side apply over the fields of one object (KEP-555): the applied
/// configuration's fields become its manager's; a field another manager owns with a different value
/// is a conflict unless forced (then it changes hands); a field the manager applied before and
/// leaves out now is removed when nobody else owns it. Pure: the endpoint reads and stores.
/// </summary>
public static class ServerSideApplier
{
    public static ApplyDecision Apply(
        JsonObject? live, ImmutableArray<ManagedFieldsEntry> managers, JsonObject applied, string manager, bool force, DateTimeOffset now)
    {
        var appliedFields = FieldSet.Of(applied);
        var apiVersion = applied["apiVersion"]?.GetValue<string>() ?? "";
        var owners = managers.IsDefault ? [] : managers.Select(e => (Entry: e, Fields: FieldSet.FromFieldsV1(e.FieldsV1))).ToList();
        var mine = owners.FindIndex(o => IsApplier(o.Entry, manager));

        var conflicts = ImmutableArray.CreateBuilder<FieldConflict>();
        if (live is not null)
        {
            foreach (var path in appliedFields.Paths)
            {
                if (JsonNode.DeepEquals(path.ValueIn(live), path.ValueIn(applied))) continue;
                for (var i = 0; i < owners.Count; i++)
                {
                    if (i != mine && owners[i].Fields.Paths.Any(owned => owned.Overlaps(path))) conflicts.Add(new FieldConflict(owners[i].Entry, path));
                }
            }
        }
        if (conflicts.Count > 0 && !force) return new ApplyDecision.Refused(conflicts.ToImmutable());

        var result = live?.DeepClone().AsObject() ?? new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = applied["kind"]?.DeepClone(),
            ["metadata"] = new JsonObject { ["name"] = applied["metadata"]?["name"]?.DeepClone(), ["namespace"] = applied["metadata"]?["namespace"]?.DeepClone() },
        };
        result["apiVersion"] = apiVersion;
        (result["metadata"] as JsonObject)?.Remove("managedFields");

        // Forced: the conflicting fields leave their owners.
        var taken = conflicts.Select(c => c.Path).ToList();
        for (var i = 0; i < owners.Count; i++)
        {
            if (i != mine) owners[i] = (owners[i].Entry, owners[i].Fields.Except(owners[i].Fields.Paths.Where(p => taken.Any(t => p.Overlaps(t))).ToList()));
        }
        if (mine >= 0)
        {
            foreach (var dropped in owners[mine].Fields.Paths.Where(p => !appliedFields.Contains(p)))
            {
                if (!owners.Where((_, i) => i != mine).Any(o => o.Fields.Paths.Any(owned => owned.Overlaps(dropped)))) dropped.Remove(result);
            }
        }
        foreach (var path in appliedFields.Paths) path.Set(result, path.ValueIn(applied));

        var entries = ImmutableArray.CreateBuilder<ManagedFieldsEntry>();
        var appliedEntry = new ManagedFieldsEntry
        {
            Manager = manager,
            Operation = ManagedFieldsEntry.ApplyOperation,
            ApiVersion = apiVersion,
            Time = TruncateToSeconds(now),
            FieldsV1 = appliedFields.ToFieldsV1(),
        };
        for (var i = 0; i < owners.Count; i++)
        {
            if (i == mine)
            {
                // An apply that claims the same fields at the same version leaves the entry as it was, time included.
                var same = (owners[i].Entry with { Time = appliedEntry.Time }) == appliedEntry;
                entries.Add(same ? owners[i].Entry : appliedEntry);
            }
            else if (!owners[i].Fields.IsEmpty)
            {
                entries.Add(owners[i].Fields.ToFieldsV1() == owners[i].Entry.FieldsV1 ? owners[i].Entry : owners[i].Entry with { FieldsV1 = owners[i].Fields.ToFieldsV1() });
            }
        }
        if (mine < 0) entries.Add(appliedEntry);
        return new ApplyDecision.Merged(result, entries.ToImmutable());
    }

    /// <summary>The annotation in which client-side apply keeps the configuration it applied last.</summary>
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>
    /// Kubernetes' way from client-side to server-side apply without conflicts: an apply by kubectl's own manager
    /// (<c>kubectl</c>) may take the fields that <paramref name="live"/>'s last-applied-configuration sets, since
    /// kubectl applied them before; any other conflict stands. Other managers get no such allowance.
    /// </summary>
    public static bool ConflictsAllowedByLastApplied(JsonObject live, IEnumerable<FieldConflict> conflicts, string manager)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(conflicts);
        if (manager != "kubectl" || live["metadata"]?["annotations"]?[LastAppliedAnnotation] is not JsonValue value || !value.TryGetValue<string>(out var text)) return false;
        JsonObject? lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
        if (lastApplied is null) return false;
        var allowed = FieldSet.Of(lastApplied);
        return conflicts.All(c => allowed.Contains(c.Path));
    }

    private static bool IsApplier(ManagedFieldsEntry entry, string manager) =>
        entry.Manager == manager && entry.Operation == ManagedFieldsEntry.ApplyOperation;


    /// <summary>
    /// The Status message Kubernetes answers a conflicting apply with (409, reason Conflict), naming
    /// each other manager as its API server prints it: an Update manager with its apiVersion and time.
    /// </summary>
    public static string ConflictMessage(IReadOnlyList<FieldConflict> conflicts)
    {
        if (conflicts.Count == 1) return $"Apply failed with 1 conflict: conflict with {ManagerName(conflicts[0].Owner)}: {conflicts[0].Path}";
        var lines = conflicts.GroupBy(c => ManagerName(c.Owner)).OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => g.Select(c => $"- {c.Path}").Prepend($"conflicts with {g.Key}:"));
        return $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
    }

    public static string ManagerName(ManagedFieldsEntry owner)
    {
        var name = $"\"{owner.Manager}\"";
        if (owner.Operation != ManagedFieldsEntry.UpdateOperation) return name;
        return owner.Time is { } time
            ? $"{name} using {owner.ApiVersion} at {time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}"
            : $"{name} using {owner.ApiVersion}";
    }

    /// <summary>managedFields times have whole seconds, as Kubernetes writes them (RFC 3339 without fractions).</summary>
    internal static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
