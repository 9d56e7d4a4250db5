using System.Text;
using System.Text.Json;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// Loads JSON into <see cref="Node"/> trees with System.Text.Json's reader, which is much faster than
/// the YAML parser on the store's objects and keeps JSON's own rules (no tabs issue, \u escapes).
/// Positions come from byte offsets; columns count bytes, which equals characters for ASCII text.
/// </summary>
internal static class JsonLoader
{
    public static LoadResult Load(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n') lineStarts.Add(i + 1);
        }
        var problems = new List<LoadProblem>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = YamlLoader.MaxDepth });
        try
        {
            if (!reader.Read()) return new LoadResult([], problems, null);
            var root = ReadValue(ref reader, lineStarts, problems, "");
            if (reader.Read())
            {
                var (line, col) = Position(lineStarts, (int)reader.TokenStartIndex);
                return new LoadResult([], problems, new LoadProblem(1, line, col, "", "invalid JSON: unexpected data after the top-level value",
                    "a JSON file holds one object, an array of objects, or a List with items"));
            }
            return new LoadResult([new LoadedDocument(1, root)], problems, null);
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var col = (int)(e.BytePositionInLine ?? 0) + 1;
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ');
            return new LoadResult([], problems, new LoadProblem(1, line, col, "", $"invalid JSON: {message}", null));
        }
    }

    private static (int Line, int Column) Position(List<int> lineStarts, int offset)
    {
        var index = lineStarts.BinarySearch(offset);
        if (index < 0) index = ~index - 1;
        return (index + 1, offset - lineStarts[index] + 1);
    }

    private static Node ReadValue(ref Utf8JsonReader reader, List<int> lineStarts, List<LoadProblem> problems, string path)
    {
        var (line, col) = Position(lineStarts, (int)reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var entries = new List<KeyValuePair<ScalarNode, Node>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var (kl, kc) = Position(lineStarts, (int)reader.TokenStartIndex);
                    var name = reader.GetString()!;
                    var key = new ScalarNode(kl, kc, name, quoted: true);
                    reader.Read();
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    var value = ReadValue(ref reader, lineStarts, problems, childPath);
                    if (!seen.Add(name))
                    {
                        problems.Add(new LoadProblem(1, kl, kc, childPath, $"duplicate key \"{name}\"", "a key may appear once per object"));
                        continue;
                    }
                    entries.Add(new(key, value));
                }
                return new MappingNode(line, col, entries);
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<Node>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, lineStarts, problems, $"{path}[{items.Count}]"));
                }
                return new SequenceNode(line, col, items);
            }
            case JsonTokenType.String:
                return new ScalarNode(line, col, reader.GetString()!, quoted: true);
            case JsonTokenType.Number:
                return new ScalarNode(line, col, Encoding.UTF8.GetString(reader.ValueSpan), quoted: false);
            case JsonTokenType.True:
                return new ScalarNode(line, col, "true", quoted: false);
            case JsonTokenType.False:
                return new ScalarNode(line, col, "false", quoted: false);
            case JsonTokenType.Null:
                return new ScalarNode(line, col, "null", quoted: false);
            default:
                throw new JsonException($"unexpected token {reader.TokenType}", null, line - 1, col - 1);
        }
    }
}
