using System.Xml.Linq;

namespace Meshwork.Architecture.Tests;

/// <summary>
/// The layering of ARCHITECTURE.md, checked on the project files themselves: a project may
/// reference only what its row allows. Model, Policy and Identity never see the hosts; the
/// proxy never sees Model or Policy (it executes snapshots, it does not decide).
/// </summary>
public sealed class ProjectReferenceTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Meshwork.Identity"] = [],
        ["Meshwork.Model"] = [],
        ["Meshwork.ProxyProtocol"] = ["Meshwork.Identity"],
        ["Meshwork.Policy"] = ["Meshwork.Model", "Meshwork.Identity", "Meshwork.ProxyProtocol"],
        ["Meshwork.CertificateAuthority"] = ["Meshwork.Identity"],
        ["Meshwork.Generation"] = ["Meshwork.Model", "Meshwork.Policy", "Meshwork.Identity", "Meshwork.ProxyProtocol"],
        ["Meshwork.Store"] = ["Meshwork.Model"],
        ["Meshwork.Store.Sqlite"] = ["Meshwork.Store"],
        ["Meshwork.Store.Postgres"] = ["Meshwork.Store"],
        ["Meshwork.Api"] = ["Meshwork.Model", "Meshwork.ProxyProtocol"],
        ["Meshwork.ControlPlane"] = ["Meshwork.Generation", "Meshwork.Store", "Meshwork.Store.Sqlite", "Meshwork.Store.Postgres", "Meshwork.CertificateAuthority", "Meshwork.Api", "Meshwork.ProxyProtocol", "Meshwork.Identity", "Meshwork.Model", "Meshwork.Policy"],
        ["Meshwork.Proxy"] = ["Meshwork.ProxyProtocol", "Meshwork.Identity"],
        ["Meshwork.Runtime"] = ["Meshwork.Model", "Meshwork.Api", "Meshwork.ProxyProtocol"],
        ["Meshwork.Sidecar"] = ["Meshwork.Proxy"],
        ["Meshwork.Cli"] = ["Meshwork.Api", "Meshwork.Model", "Meshwork.Policy", "Meshwork.Runtime", "Meshwork.ControlPlane", "Meshwork.Proxy", "Meshwork.Samples", "Meshwork.ProxyProtocol", "Meshwork.Identity"],
    };

    public static TheoryData<string> Projects() => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_references_only_the_layers_below_it(string project)
    {
        var references = ReferencesOf(project);
        var forbidden = references.Except(Allowed[project]).ToList();
        Assert.True(forbidden.Count == 0, $"{project} must not reference {string.Join(", ", forbidden)}");
    }

    [Fact]
    public void Every_source_project_has_a_row()
    {
        var unknown = Directory.GetDirectories(Path.Combine(RepositoryRoot(), "src"))
            .Select(Path.GetFileName)
            .Where(name => !Allowed.ContainsKey(name!))
            .ToList();
        Assert.True(unknown.Count == 0, $"add a layering row for: {string.Join(", ", unknown)}");
    }

    private static IEnumerable<string> ReferencesOf(string project)
    {
        var file = Path.Combine(RepositoryRoot(), "src", project, project + ".csproj");
        return XDocument.Load(file).Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Meshwork.slnx not found above the test assembly");
    }
}
