using System.Text.Json;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Yaml;
using Meshwork.ProxyProtocol;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// testdata/&lt;case&gt;.input.yaml (a "# mesh: file" line pulls in a shared mesh first) and
/// &lt;case&gt;.registration.json generate &lt;case&gt;.snapshot.golden.json. To accept new output after a
/// deliberate change, run the tests with MESHWORK_UPDATE_GOLDEN=1 and review the diff.
/// </summary>
public sealed class GoldenSnapshotTests
{
    public const string UpdateVariable = "MESHWORK_UPDATE_GOLDEN";

    /// <summary>A stand-in root: generation copies the bundle and never parses it.</summary>
    private static readonly string[] TrustBundle = ["-----BEGIN CERTIFICATE-----\nTEST-ROOT\n-----END CERTIFICATE-----\n"];

    public static TheoryData<string> Cases() => [.. CaseNames()];

    private static IEnumerable<string> CaseNames()
        => Directory.GetFiles(TestDataDirectory, "*.input.yaml")
            .Select(file => Path.GetFileName(file)[..^".input.yaml".Length])
            .Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Snapshot_matches_the_golden_file(string name)
    {
        var mesh = ReadMesh(Path.Combine(TestDataDirectory, name + ".input.yaml"));
        var registration = JsonSerializer.Deserialize(
            File.ReadAllText(Path.Combine(TestDataDirectory, name + ".registration.json")),
            ProtocolJson.Default.ProxyRegistration)!;

        var snapshot = SnapshotGenerator.Generate(registration, mesh, [.. TrustBundle]);
        var actual = JsonSerializer.Serialize(snapshot, ProtocolJson.Indented.ProxySnapshot) + "\n";

        var goldenFile = Path.Combine(TestDataDirectory, name + ".snapshot.golden.json");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(goldenFile, actual);
            return;
        }
        Assert.True(File.Exists(goldenFile), $"{goldenFile} is missing: run with {UpdateVariable}=1 to create it, then review it");
        Assert.Equal(File.ReadAllText(goldenFile).ReplaceLineEndings("\n"), actual);
    }

    [Fact]
    public void Every_case_has_a_registration_and_a_golden_file()
    {
        foreach (var name in CaseNames())
        {
            Assert.True(File.Exists(Path.Combine(TestDataDirectory, name + ".registration.json")), $"{name}.registration.json is missing");
            Assert.True(File.Exists(Path.Combine(TestDataDirectory, name + ".snapshot.golden.json")), $"{name}.snapshot.golden.json is missing");
        }
    }

    internal static MeshState ReadMesh(string inputFile)
    {
        var files = File.ReadLines(inputFile)
            .TakeWhile(line => line.StartsWith('#'))
            .Where(line => line.StartsWith("# mesh: ", StringComparison.Ordinal))
            .Select(line => Path.Combine(TestDataDirectory, line["# mesh: ".Length..].Trim()))
            .Append(inputFile);
        var result = ManifestReader.ReadPaths(files);
        Assert.False(result.HasErrors, string.Join("\n", result.Errors));
        return MeshState.From(result.Resources);
    }

    internal static string TestDataDirectory { get; } = FindTestData();

    private static string FindTestData()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Meshwork.slnx not found above the test assembly");
        return Path.Combine(dir.FullName, "tests", "Meshwork.ControlPlane.Tests", "Generation", "testdata");
    }
}
