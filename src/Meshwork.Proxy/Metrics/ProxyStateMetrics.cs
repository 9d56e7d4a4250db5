using System.Globalization;
using System.Text;
using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy.Metrics;

/// <summary>
/// The mesh's own gauges about what a proxy runs: the snapshot it applied (version, and how long ago),
/// so that a proxy stuck on old configuration shows in a query, not only in `meshwork proxy-status`.
/// </summary>
internal static class ProxyStateMetrics
{
    public static void Write(StringBuilder o, ProxyState state)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Config is not { } config || state.ConfigAppliedAt is not { } appliedAt) return;
        o.Append("# TYPE meshwork_snapshot_info gauge\n");
        o.Append("meshwork_snapshot_info{").AppendLabel("version", config.Snapshot.Version).Append("} 1\n");
        o.Append("# TYPE meshwork_snapshot_applied_timestamp_seconds gauge\n");
        o.Append("meshwork_snapshot_applied_timestamp_seconds ")
         .Append(appliedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        o.Append("# TYPE meshwork_snapshot_age_seconds gauge\n");
        o.Append("meshwork_snapshot_age_seconds ")
         .Append(Math.Max(0, Math.Round((state.Time.GetUtcNow() - appliedAt).TotalSeconds)).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
