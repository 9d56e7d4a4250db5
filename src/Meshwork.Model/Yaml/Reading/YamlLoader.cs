using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// Loads multi-document YAML into <see cref="Node"/> trees straight from YamlDotNet's event parser,
/// keeping the line and column of every node. A syntax error stops the file with the parser's
/// position; duplicate keys are reported per key (Kubernetes rejects them too) and loading goes on.
/// </summary>
internal static class YamlLoader
{
    /// <summary>Deeper nesting than any manifest needs; the limit keeps hostile input from exhausting the stack.</summary>
    public const int MaxDepth = 100;

    /// <summary>
    /// Largest size a document may expand to through aliases: 3 MiB, Kubernetes' own limit on a request (and so
    /// on an object). Counting bytes rather than nodes also bounds aliases of long strings: a 38 KB manifest must
    /// not become a 33 MB resource that every proxy's snapshot then carries.
    /// </summary>
    public const long MaxExpandedBytes = 3 * 1024 * 1024;

    public static LoadResult Load(string text)
    {
        var documents = new List<LoadedDocument>();
        var problems = new List<LoadProblem>();
        var documentNumber = 0;
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                documentNumber++;
                var anchors = new Dictionary<string, Node>(StringComparer.Ordinal);
                var root = ReadNode(parser, anchors, problems, documentNumber, "", 0);
                parser.Consume<DocumentEnd>();
                if (root is ScalarNode { IsNull: true }) continue; // empty document ("---" with nothing, or comments only)
                documents.Add(new LoadedDocument(documentNumber, root));
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            var message = CleanMessage(e.Message);
            var (line, column) = ((int)e.Start.Line, (int)e.Start.Column);
            var hint = "check the indentation and quoting around this position";
            if (message.Contains("tab", StringComparison.Ordinal) && FirstIndentingTab(text, line) is { } tab)
            {
                // The parser marks the start of the enclosing mapping; the tab itself is what the user must fix.
                (line, column) = tab;
                hint = "YAML indentation must use spaces, not tabs";
            }
            var fatal = new LoadProblem(Math.Max(documentNumber, 1), line, column, "", $"invalid YAML: {message}", hint);
            return new LoadResult(documents, problems, fatal);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet fails this way, not with a YamlException, on some malformed flow mappings ("a: {b:\nc}")
            // and tags ("!<>"): still a syntax error of the input, reported at the last event it read.
            var at = parser.Current?.Start;
            var fatal = new LoadProblem(Math.Max(documentNumber, 1), (int)(at?.Line ?? 1), (int)(at?.Column ?? 1), "",
                $"invalid YAML: {e.Message}", "check the braces, brackets, tags and quoting around this position");
            return new LoadResult(documents, problems, fatal);
        }
        return new LoadResult(documents, problems, null);
    }

    private static (int Line, int Column)? FirstIndentingTab(string text, int fromLine)
    {
        var lines = text.Split('\n');
        for (var i = Math.Max(fromLine - 1, 0); i < lines.Length; i++)
        {
            var line = lines[i];
            for (var c = 0; c < line.Length && line[c] is ' ' or '\t'; c++)
            {
                if (line[c] == '\t') return (i + 1, c + 1);
            }
        }
        return null;
    }

    private static long Weigh(long weight, Node child, ParsingEvent at)
    {
        var total = weight + child.Weight;
        if (total > MaxExpandedBytes)
        {
            throw new YamlException(at.Start, at.End, $"the document is larger than {MaxExpandedBytes / (1024 * 1024)} MiB once its aliases are expanded (Kubernetes refuses objects over 3 MiB)");
        }
        return total;
    }

    private static string CleanMessage(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (Line: ...): "; the diagnostic carries the position already.
        var idx = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line", StringComparison.Ordinal) && idx > 0 ? message[(idx + 3)..] : message;
    }

    private static Node ReadNode(IParser parser, Dictionary<string, Node> anchors, List<LoadProblem> problems, int doc, string path, int depth)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of input");
        if (depth > MaxDepth) throw new YamlException(current.Start, current.End, $"the document nests deeper than {MaxDepth} levels");
        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlException(alias.Start, alias.End, $"unknown alias *{alias.Value.Value}");
                }
                return target;
            case Scalar scalar:
            {
                parser.MoveNext();
                var quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded
                             || (!scalar.Tag.IsEmpty && scalar.Tag.Value is "tag:yaml.org,2002:str" or "!!str");
                var node = new ScalarNode((int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, quoted) { Weight = scalar.Value.Length + 1 };
                if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = node;
                return node;
            }
            case SequenceStart start:
            {
                parser.MoveNext();
                var items = new List<Node>();
                var node = new SequenceNode((int)start.Start.Line, (int)start.Start.Column, items);
                if (!start.Anchor.IsEmpty) anchors[start.Anchor.Value] = node;
                long weight = 1;
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    var item = ReadNode(parser, anchors, problems, doc, $"{path}[{items.Count}]", depth + 1);
                    items.Add(item);
                    weight = Weigh(weight, item, start);
                }
                node.Weight = weight;
                return node;
            }
            case MappingStart start:
            {
                parser.MoveNext();
                var entries = new List<KeyValuePair<ScalarNode, Node>>();
                var node = new MappingNode((int)start.Start.Line, (int)start.Start.Column, entries);
                if (!start.Anchor.IsEmpty) anchors[start.Anchor.Value] = node;
                var seen = new Dictionary<string, ScalarNode>(StringComparer.Ordinal);
                List<MappingNode>? merges = null;
                long weight = 1;
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, anchors, problems, doc, path, depth + 1);
                    var childPath = keyNode is ScalarNode k ? (path.Length == 0 ? k.Value : $"{path}.{k.Value}") : path;
                    var value = ReadNode(parser, anchors, problems, doc, childPath, depth + 1);
                    weight = Weigh(Weigh(weight, keyNode, start), value, start);
                    if (keyNode is not ScalarNode key)
                    {
                        problems.Add(new LoadProblem(doc, keyNode.Line, keyNode.Column, path,
                            "a mapping key must be a plain string, not a " + keyNode.TypeName, null));
                        continue;
                    }
                    if (key is { Quoted: false, Value: "<<" })
                    {
                        // YAML merge key: later explicit keys win, as go-yaml (and so kubectl) does.
                        merges ??= [];
                        if (value is MappingNode m) merges.Add(m);
                        else if (value is SequenceNode s) merges.AddRange(s.Items.OfType<MappingNode>());
                        continue;
                    }
                    if (seen.TryGetValue(key.Value, out var first))
                    {
                        problems.Add(new LoadProblem(doc, key.Line, key.Column, childPath,
                            $"duplicate key \"{key.Value}\" (first defined at line {first.Line})",
                            "a key may appear once per mapping; if this starts another resource, separate documents with ---"));
                        continue;
                    }
                    seen[key.Value] = key;
                    entries.Add(new(key, value));
                }
                if (merges is not null)
                {
                    foreach (var merged in merges)
                    {
                        foreach (var entry in merged.Entries)
                        {
                            if (seen.TryAdd(entry.Key.Value, entry.Key)) entries.Add(entry);
                        }
                    }
                }
                node.Weight = weight;
                return node;
            }
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }
}
