using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>Resolving the URL to a kind and writing answers: lists, Status refusals, the log line of each refusal.</remarks>
public static partial class ConfigApiEndpoints
{
    private static IResult NotFound(HttpContext context, KindInfo kind, string name) =>
        Refuse(context, KubeStatus.Failure(KubeStatus.NotFound, $"{kind.FullyQualifiedPlural} \"{name}\" not found", kind, name), KubeStatus.NotFound, name);

    private static KindInfo? Resolve(string group, string version, string plural, string? @namespace)
    {
        if (!KindRegistry.TryGetByPlural(group, plural, out var kind) || !kind.Versions.Contains(version)) return null;
        if (!kind.Namespaced && @namespace is not null) return null;
        return kind;
    }

    private static IResult UnknownResource(HttpContext context, string group, string version, string plural)
    {
        var gv = group.Length == 0 ? version : $"{group}/{version}";
        var message = $"the server could not find the requested resource: {plural} in {gv} (served: {string.Join(", ", KindRegistry.All.Select(k => k.FullyQualifiedPlural))})";
        return Refuse(context, KubeStatus.Failure(KubeStatus.NotFound, message), KubeStatus.NotFound, message);
    }

    private static string ListJson(KindInfo kind, ResourceList list)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", kind.PreferredApiVersion);
            writer.WriteString("kind", kind.Kind + "List");
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", list.Revision.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in list.Items) writer.WriteRawValue(ResourceJson.Serialize(item));
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static IResult Json(string json, int statusCode) => Results.Text(json, "application/json", Encoding.UTF8, statusCode);

    private static IResult Refuse(HttpContext context, IResult result, string reason, string message)
    {
        ConfigApiLog.Refused(Logger(context), context.Request.Method, context.Request.Path, reason, message);
        return result;
    }

    private static bool IsTrue(Microsoft.Extensions.Primitives.StringValues value) => value.ToString() is "true" or "1" or "True";

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Meshwork.ControlPlane.ConfigApi");
}
