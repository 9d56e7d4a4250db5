using System.Text.Json.Nodes;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.ConfigApi.Tables;

/// <summary>
/// Kubernetes' server-side printing (meta.k8s.io/v1 Table): kubectl asks for it with
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c> and prints the columns it gets,
/// hiding those of priority above 0 unless <c>-o wide</c>. The columns are the ones
/// <c>meshwork get</c> prints (<see cref="ResourceColumns"/>). Each row carries the object's
/// metadata as a PartialObjectMetadata, from which kubectl adds NAMESPACE (<c>-A</c>) and LABELS.
/// </summary>
public static class ServerSideTable
{
    /// <summary>True when the Accept header offers the v1 Table before, or instead of, plain JSON.</summary>
    public static bool IsRequested(HttpRequest request)
    {
        foreach (var value in request.Headers.Accept)
        {
            foreach (var mediaRange in (value ?? "").Split(','))
            {
                var parameters = mediaRange.Split(';', StringSplitOptions.TrimEntries);
                if (parameters.Contains("as=Table") && parameters.Contains("g=meta.k8s.io") && parameters.Contains("v=v1")) return true;
            }
        }
        return false;
    }

    public static JsonObject Build(KindInfo kind, IEnumerable<Resource> items, IReadOnlyList<Pod> pods, long revision, DateTimeOffset now)
    {
        var narrow = ResourceColumns.Header(kind, wide: false, withNamespace: false).Count;
        var columns = new JsonArray();
        var header = ResourceColumns.Header(kind, wide: true, withNamespace: false);
        for (var i = 0; i < header.Count; i++)
        {
            columns.Add(TableDocument.Column(header[i], i < narrow ? 0 : 1, i == 0 ? "name" : ""));
        }
        var context = new ResourceColumns.RowContext(pods, now);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var cells = new JsonArray();
            foreach (var cell in ResourceColumns.Row(item, wide: true, withNamespace: false, context)) cells.Add(cell);
            rows.Add(TableDocument.Row(cells, ResourceJson.ToJsonObject(item)["metadata"]!.DeepClone()));
        }
        return TableDocument.Build(columns, rows, revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
