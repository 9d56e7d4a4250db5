using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Protobuf;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>Reading a request body: bounded, JSON/YAML or kubectl's protobuf, through the manifest reader, checked against the URL.</remarks>
public static partial class ConfigApiEndpoints
{
    private static async Task<(Resource? Resource, IResult? Error)> ReadOneAsync(HttpContext context, KindInfo kind, string? @namespace, string? name)
    {
        if (context.Request.ContentType?.StartsWith(KubernetesProtobuf.ContentType, StringComparison.OrdinalIgnoreCase) == true)
        {
            // kubectl's typed commands (create namespace, create secret, …) send protobuf, with no
            // fallback to JSON: the kinds they create are read; anything else is refused by name.
            var (bytes, bytesTooLarge) = await ReadBodyBytesAsync(context).ConfigureAwait(false);
            if (bytesTooLarge is not null) return (null, bytesTooLarge);
            if (KubernetesProtobuf.ToJson(bytes, out var refusal) is not { } json)
            {
                var message = $"{KubernetesProtobuf.ContentType} body refused: {refusal}; send JSON or YAML (kubectl create -f, kubectl apply -f)";
                return (null, Refuse(context, KubeStatus.Failure(KubeStatus.UnsupportedMediaType, message, kind, name), KubeStatus.UnsupportedMediaType, message));
            }
            return ParseOne(context, json.ToJsonString(), kind, @namespace, name);
        }
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return (null, tooLarge);
        return ParseOne(context, body!, kind, @namespace, name);
    }

    private static (Resource? Resource, IResult? Error) ParseOne(HttpContext context, string body, KindInfo kind, string? @namespace, string? name)
    {
        var read = ManifestReader.Read(body, "request body", kind.Namespaced ? @namespace : null);
        AddWarnings(context, read);
        if (read.HasErrors) return (null, Refuse(context, KubeStatus.FromDiagnostics(read, kind, name ?? NameIn(body)), KubeStatus.Invalid, string.Join("; ", read.Errors)));
        if (read.Resources.Length != 1)
        {
            return (null, Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, $"the body must hold exactly one object, not {read.Resources.Length}", kind), KubeStatus.BadRequest, "count"));
        }
        var resource = read.Resources[0];
        string? mismatch = null;
        if (resource.Kind != kind.Kind) mismatch = $"the body is a {resource.Kind}, but the URL is for {kind.FullyQualifiedPlural}";
        else if (kind.Namespaced && resource.Metadata.Namespace != @namespace) mismatch = $"the namespace of the provided object ({resource.Metadata.Namespace}) does not match the namespace sent on the request ({@namespace})";
        else if (name is not null && resource.Metadata.Name != name) mismatch = $"the name of the object ({resource.Metadata.Name}) does not match the name on the URL ({name})";
        return mismatch is null
            ? (resource, null)
            : (null, Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, mismatch, kind, resource.Metadata.Name), KubeStatus.BadRequest, mismatch));
    }

    /// <summary>metadata.name of a JSON body that the manifest reader refused, so the error can name the object.</summary>
    private static string? NameIn(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["metadata"]?["name"] is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the whole body as UTF-8, refusing more than the configured limit with 413.</summary>
    internal static async Task<(string? Body, IResult? TooLarge)> ReadBodyAsync(HttpContext context)
    {
        var (bytes, tooLarge) = await ReadBodyBytesAsync(context).ConfigureAwait(false);
        return tooLarge is null ? (Encoding.UTF8.GetString(bytes), null) : (null, tooLarge);
    }

    private static async Task<(byte[] Body, IResult? TooLarge)> ReadBodyBytesAsync(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<ConfigApiOptions>().MaxRequestBodyBytes;
        IResult TooLarge() => Refuse(context, KubeStatus.Failure(KubeStatus.RequestEntityTooLarge,
            $"the request body is larger than {limit} bytes; split the manifest into smaller applies"), KubeStatus.RequestEntityTooLarge, "body");
        if (context.Request.ContentLength > limit) return ([], TooLarge());
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit) return ([], TooLarge());
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ([], TooLarge());
        }
        return (buffer.ToArray(), null);
    }

    private static void AddWarnings(HttpContext context, ManifestReadResult read)
    {
        foreach (var warning in read.Warnings)
        {
            // RFC 7234 warn-code 299 "Miscellaneous persistent warning", as the Kubernetes API sends.
            var text = warning.ToString().Replace('"', '\'').Replace('\n', ' ');
            context.Response.Headers.Append("Warning", $"299 - \"{text}\"");
        }
    }
}
