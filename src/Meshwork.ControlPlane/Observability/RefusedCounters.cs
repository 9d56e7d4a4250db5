namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// Connections a destination's sidecar refused before HTTP (meshwork_refused_connections_total): from which
/// address, to which workload, and why. A plaintext caller of a STRICT port shows here and nowhere else.
/// </summary>
public readonly record struct RefusedKey(string SourceAddress, string DestinationWorkload, string DestinationNamespace, string Reason);

/// <summary>Reads the meshwork_refused_connections_total lines of one proxy's exposition (ports summed).</summary>
public static class RefusedCounters
{
    public const string Metric = "meshwork_refused_connections_total";

    public static IReadOnlyDictionary<RefusedKey, double> Parse(string exposition)
    {
        var refused = new Dictionary<RefusedKey, double>();
        foreach (var (labels, value) in RequestCounters.Series(exposition, Metric))
        {
            var key = new RefusedKey(
                labels.GetValueOrDefault("source_address", "unknown"), labels.GetValueOrDefault("destination_workload", "unknown"),
                labels.GetValueOrDefault("destination_workload_namespace", "unknown"), labels.GetValueOrDefault("reason", "unknown"));
            refused[key] = refused.GetValueOrDefault(key) + value;
        }
        return refused;
    }

    /// <summary>A Prometheus instant-vector answer for the same key, as <see cref="PrometheusQuery"/> asks it.</summary>
    internal static RefusedKey KeyOf(Func<string, string> label) =>
        new(label("source_address"), label("destination_workload"), label("destination_workload_namespace"), label("reason"));
}
