using System.Globalization;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Traffic;

namespace Meshwork.Policy.Tests.Scenarios;

/// <summary>Runs a tutorial's curl loops against <see cref="TrafficExplainer"/> and prints what curl would.</summary>
internal static class Tutorial
{
    /// <summary>curl's %{http_code}: 000 when the connection was reset.</summary>
    public static string Curl(MeshState mesh, string fromNamespace, string fromDeployment, string host, int port, string path = "/ip")
        => Code(Explain(mesh, fromNamespace, fromDeployment, host, port, path));

    public static TrafficExplanation Explain(MeshState mesh, string fromNamespace, string fromDeployment, string host, int port, string path = "/ip")
    {
        var deployment = mesh.Deployments.Single(d => d.Metadata.Namespace == fromNamespace && d.Metadata.Name == fromDeployment);
        var client = Workload.FromDeployment(deployment, mesh);
        return TrafficExplainer.Explain(mesh, new TrafficQuery { Client = client, ClientNamespace = fromNamespace, Host = host, Port = port, Path = path });
    }

    public static string Code(TrafficExplanation e) => e.Outcome == TrafficOutcome.Reset ? "000" : e.HttpCode.ToString(CultureInfo.InvariantCulture);

    /// <summary>The loop of the mtls-migration task: for from in foo bar legacy; for to in foo bar.</summary>
    public static string[] MigrationMatrix(MeshState mesh)
    {
        var lines = new List<string>();
        foreach (var from in new[] { "foo", "bar", "legacy" })
        {
            foreach (var to in new[] { "foo", "bar" })
            {
                lines.Add($"sleep.{from} to httpbin.{to}: {Curl(mesh, from, "sleep", $"httpbin.{to}", 8000)}");
            }
        }
        return [.. lines];
    }
}
