using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

public enum Severity { Error, Warning }

/// <summary>
/// One finding about a manifest. <see cref="Path"/> is the field path inside the document
/// (<c>spec.mtls.mode</c>, <c>spec.rules[0].from[1].source.principals</c>).
/// </summary>
public sealed record Diagnostic(
    Severity Severity, string File, int Document, int Line, int Column, string Path, string Message, string? Hint = null)
{
    public override string ToString()
    {
        var level = Severity == Severity.Error ? "error" : "warning";
        var hint = Hint is null ? "" : $" (hint: {Hint})";
        var path = string.IsNullOrEmpty(Path) ? "" : $"{Path}: ";
        return $"{File}:{Line}:{Column}: {level}: document {Document}: {path}{Message}{hint}";
    }
}

public sealed record ManifestReadResult(ImmutableArray<Resource> Resources, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == Severity.Error);
    public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => d.Severity == Severity.Warning);
}

/// <summary>
/// Reads multi-document YAML or JSON (a JSON List/array of objects too) into typed resources,
/// reporting every problem of the input at once. Pure: no I/O except <see cref="ReadPaths"/>.
/// </summary>
public static class ManifestReader
{
    /// <summary>
    /// Parses <paramref name="text"/>. <paramref name="defaultNamespace"/> fills metadata.namespace
    /// for namespaced kinds that do not name one (as <c>kubectl apply -n</c> does); null leaves it null.
    /// </summary>
    public static ManifestReadResult Read(string text, string file, string? defaultNamespace = null)
        => throw new NotImplementedException("ManifestReader.Read is being written");

    /// <summary>Reads files and directories (*.yaml, *.yml, *.json, sorted by name, not recursive), in order.</summary>
    public static ManifestReadResult ReadPaths(IEnumerable<string> paths, string? defaultNamespace = null)
    {
        var resources = ImmutableArray.CreateBuilder<Resource>();
        var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
        foreach (var path in paths)
        {
            IEnumerable<string> files;
            if (Directory.Exists(path))
            {
                files = Directory.EnumerateFiles(path)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
                             || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                             || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
            }
            else if (File.Exists(path))
            {
                files = [path];
            }
            else
            {
                diagnostics.Add(new Diagnostic(Severity.Error, path, 0, 0, 0, "", "no such file or directory"));
                continue;
            }
            foreach (var file in files)
            {
                var result = Read(File.ReadAllText(file), file, defaultNamespace);
                resources.AddRange(result.Resources);
                diagnostics.AddRange(result.Diagnostics);
            }
        }
        return new ManifestReadResult(resources.ToImmutable(), diagnostics.ToImmutable());
    }
}
