using System.Collections.Concurrent;
using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Store.Rows;

/// <summary>One stored row: the JSON document and the server-set metadata kept beside it in columns.</summary>
public readonly record struct StoredRow(string Kind, string Namespace, string Name, string Uid, long Revision, long Generation, string CreationTimestamp, string Body);

/// <summary>
/// Turns stored rows back into objects for a database backend. The columns are authoritative for
/// the server-set metadata whatever the document says. Parsing a document costs more than reading
/// it, so parsed objects are kept by identity and version (an object at one version never changes).
/// </summary>
public sealed class StoredDocuments(string sourceName)
{
    private const int MaxCached = 50_000;
    private readonly ConcurrentDictionary<(string Uid, long Revision), Resource> _parsed = new();

    public Resource Read(in StoredRow row)
    {
        if (_parsed.TryGetValue((row.Uid, row.Revision), out var cached)) return cached;
        var result = ManifestReader.Read(row.Body, sourceName);
        if (result.HasErrors || result.Resources.Length != 1)
        {
            throw new InvalidDataException(
                $"stored object {row.Kind}/{row.Namespace}/{row.Name} at revision {row.Revision} cannot be read: "
                + string.Join("; ", result.Errors.Select(e => e.ToString())));
        }
        var resource = result.Resources[0];
        resource = resource with
        {
            Source = null,
            Metadata = resource.Metadata with
            {
                Uid = row.Uid,
                ResourceVersion = row.Revision.ToString(CultureInfo.InvariantCulture),
                Generation = row.Generation,
                CreationTimestamp = DateTimeOffset.Parse(row.CreationTimestamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            },
        };
        Remember(resource, row.Revision);
        return resource;
    }

    /// <summary>Keeps an object the store just wrote, so reading it back costs no parse.</summary>
    public void Remember(Resource resource, long revision)
    {
        if (_parsed.Count > MaxCached) _parsed.Clear();
        _parsed[(resource.Metadata.Uid ?? "", revision)] = resource;
    }

    /// <summary>The document and the creationTimestamp column of an object about to be written.</summary>
    public static (string Body, string CreationTimestamp) Columns(Resource resource) =>
        (ResourceJson.Serialize(resource), (resource.Metadata.CreationTimestamp ?? DateTimeOffset.UnixEpoch).ToString("O", CultureInfo.InvariantCulture));
}
