using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;
using Node = Meshwork.Model.Yaml.Reading.Node;

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
/// <remarks>
/// Diagnostic paths: fields are dotted (<c>spec.mtls.mode</c>), list items indexed
/// (<c>spec.rules[0].from[1].source.principals</c>), and keys of free-form maps bracketed
/// (<c>metadata.labels[app]</c>, <c>spec.portLevelMtls[8080]</c>, <c>data[ca-cert.pem]</c>). Items of a
/// List or JSON array are prefixed with <c>items[i]</c> or <c>[i]</c>. Documents with an error are left
/// out of <see cref="ManifestReadResult.Resources"/>; warnings never drop a document.
/// </remarks>
public static class ManifestReader
{
    /// <summary>
    /// Parses <paramref name="text"/>. <paramref name="defaultNamespace"/> fills metadata.namespace
    /// for namespaced kinds that do not name one (as <c>kubectl apply -n</c> does); null leaves it null.
    /// </summary>
    public static ManifestReadResult Read(string text, string file, string? defaultNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('\uFEFF')) text = text[1..]; // a byte order mark is not content (System.Text.Json rejects it)
        var json = LooksLikeJson(text);
        var load = json ? JsonLoader.Load(text) : YamlLoader.Load(text);
        if (json && load.Fatal is not null && YamlLoader.Load(text) is { Fatal: null } yaml)
        {
            // YAML flow style ({apiVersion: v1, ...}, or several documents) also starts with a brace.
            (json, load) = (false, yaml);
        }
        var diagnostics = new List<Diagnostic>();
        if (load.Fatal is { } fatal)
        {
            // A syntax error leaves no trustworthy structure: one error, at the parser's position.
            diagnostics.Add(new Diagnostic(Severity.Error, file, fatal.Document, fatal.Line, fatal.Column, fatal.Path, fatal.Message, fatal.Hint));
            return new ManifestReadResult([], [.. diagnostics]);
        }
        var failedDocuments = new HashSet<int>();
        foreach (var problem in load.Problems)
        {
            diagnostics.Add(new Diagnostic(Severity.Error, file, problem.Document, problem.Line, problem.Column, problem.Path, problem.Message, problem.Hint));
            failedDocuments.Add(problem.Document);
        }
        var resources = ImmutableArray.CreateBuilder<Resource>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var document in load.Documents)
        {
            foreach (var (node, prefix) in Expand(document.Root, json))
            {
                var ctx = new ReadContext(file, document.Number, prefix, node, diagnostics);
                var resource = DocumentReader.Read(ctx, defaultNamespace);
                if (resource is null || ctx.ErrorCount > 0 || failedDocuments.Contains(document.Number)) continue;
                if (seen.TryGetValue(resource.Ref, out var first))
                {
                    // kubectl applies both in turn, so the later one silently replaces the earlier: say so.
                    ctx.Warning("metadata.name", $"{resource.Ref} is also defined in document {first}; the later definition replaces it");
                }
                seen[resource.Ref] = document.Number;
                resources.Add(resource);
            }
        }
        // Findings read top to bottom within each document, whichever step found them.
        return new ManifestReadResult(resources.ToImmutable(), [.. diagnostics.OrderBy(d => d.Document).ThenBy(d => d.Line).ThenBy(d => d.Column)]);
    }

    private static bool LooksLikeJson(string text)
    {
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) continue;
            return c is '{' or '[';
        }
        return false;
    }

    /// <summary>
    /// A JSON array (JSON input only), or a Kubernetes List (kind: List / *List with items), holds several objects
    /// in one document; each is read on its own, addressed as [i] or items[i].
    /// </summary>
    private static IEnumerable<(Node Node, string Prefix)> Expand(Node root, bool json)
    {
        if (json && root is SequenceNode array)
        {
            for (var i = 0; i < array.Items.Count; i++) yield return (array.Items[i], $"[{i}]");
            yield break;
        }
        if (root is MappingNode map
            && map.TryGet("kind", out _, out var kind) && kind is ScalarNode { Value: var k } && k.EndsWith("List", StringComparison.Ordinal)
            && !map.TryGet("spec", out _, out _))
        {
            // A List without items (or with items: null) is an empty list.
            if (map.TryGet("items", out _, out var items) && items is SequenceNode list)
            {
                for (var i = 0; i < list.Items.Count; i++) yield return (list.Items[i], $"items[{i}]");
            }
            yield break;
        }
        yield return (root, "");
    }

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
