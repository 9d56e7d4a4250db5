using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.Discovery;
using Meshwork.ControlPlane.ConfigApi.Patching;
using Meshwork.ControlPlane.ConfigApi.PodExec;
using Meshwork.ControlPlane.ConfigApi.PodLogs;
using Meshwork.ControlPlane.ConfigApi.Protobuf;
using Meshwork.ControlPlane.ConfigApi.Tables;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi;

/// <summary>
/// The config API, shaped like the Kubernetes API so that the CLI is a thin client and a real API
/// server could later take the store's place:
/// <c>/api/v1/namespaces[/{name}]</c>, <c>/api/v1/namespaces/{ns}/{plural}[/{name}]</c>,
/// <c>/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]</c>, the same without
/// <c>namespaces/{ns}</c> to list across namespaces, <c>?labelSelector=</c>,
/// <c>?watch=true&amp;resourceVersion=</c>, and <c>POST /meshwork/v1/apply</c> for a transactional
/// multi-object apply.
/// </summary>
public static class ConfigApiEndpoints
{
    public const string ApplyPath = "/meshwork/v1/apply";

    /// <summary>Refuses requests to the config API that do not carry the admin token (401, Kubernetes Status).</summary>
    public static IApplicationBuilder UseConfigApiAuthentication(this IApplicationBuilder app)
    {
        return app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/api") || path.StartsWithSegments("/apis") || path.StartsWithSegments("/openapi") || path.StartsWithSegments(ApplyPath))
            {
                var admin = context.RequestServices.GetRequiredService<IAdminAuthenticator>();
                if (!admin.IsAdmin(context))
                {
                    ConfigApiLog.Unauthenticated(Logger(context), context.Request.Method, path, context.Connection.RemoteIpAddress?.ToString());
                    await KubeStatus.Failure(KubeStatus.Unauthorized,
                        "Unauthorized: the config API needs the admin token (Authorization: Bearer <state-dir>/admin-token)").ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }
            }
            await next(context).ConfigureAwait(false);
        });
    }

    public static IEndpointRouteBuilder MapConfigApi(this IEndpointRouteBuilder app)
    {
        string[] collectionVerbs = ["GET", "POST"];
        string[] itemVerbs = ["GET", "PUT", "PATCH", "DELETE"];

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapDiscovery();
        app.MapPodLogs();
        app.MapPodExec();

        // Namespaces are cluster-scoped: /api/v1/namespaces[/{name}].
        app.MapMethods("/api/v1/namespaces", collectionVerbs, (Delegate)((HttpContext c) => CollectionAsync(c, "", "v1", "namespaces", null)));
        app.MapMethods("/api/v1/namespaces/{name}", itemVerbs, (HttpContext c, string name) => ItemAsync(c, "", "v1", "namespaces", null, name));

        app.MapMethods("/api/v1/namespaces/{ns}/{plural}", collectionVerbs, (HttpContext c, string ns, string plural) => CollectionAsync(c, "", "v1", plural, ns));
        app.MapMethods("/api/v1/namespaces/{ns}/{plural}/{name}", itemVerbs, (HttpContext c, string ns, string plural, string name) => ItemAsync(c, "", "v1", plural, ns, name));
        app.MapGet("/api/v1/{plural}", (HttpContext c, string plural) => CollectionAsync(c, "", "v1", plural, null));

        app.MapMethods("/apis/{group}/{version}/namespaces/{ns}/{plural}", collectionVerbs, (HttpContext c, string group, string version, string ns, string plural) => CollectionAsync(c, group, version, plural, ns));
        app.MapMethods("/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}", itemVerbs, (HttpContext c, string group, string version, string ns, string plural, string name) => ItemAsync(c, group, version, plural, ns, name));
        app.MapGet("/apis/{group}/{version}/{plural}", (HttpContext c, string group, string version, string plural) => CollectionAsync(c, group, version, plural, null));

        app.MapPost(ApplyPath, (Delegate)ApplyAsync);
        return app;
    }

    private static async Task<IResult> CollectionAsync(HttpContext context, string group, string version, string plural, string? @namespace)
    {
        if (Resolve(group, version, plural, @namespace) is not { } kind)
        {
            return UnknownResource(context, group, version, plural);
        }
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        try
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                var (resource, error) = await ReadOneAsync(context, kind, @namespace, null).ConfigureAwait(false);
                if (error is not null) return error;
                if (DryRun.IsRequested(context.Request))
                {
                    var existing = await store.FindAsync(ResourceKey.Of(resource!), context.RequestAborted).ConfigureAwait(false);
                    return existing is null
                        ? Json(ResourceJson.Serialize(resource!), StatusCodes.Status201Created)
                        : Refuse(context, KubeStatus.Failure(KubeStatus.AlreadyExists, $"{kind.FullyQualifiedPlural} \"{resource!.Metadata.Name}\" already exists", kind, resource.Metadata.Name), KubeStatus.AlreadyExists, resource.Metadata.Name);
                }
                var created = await store.CreateAsync(resource!, context.RequestAborted).ConfigureAwait(false);
                ConfigApiLog.Written(Logger(context), "Created", created.Ref, created.Metadata.ResourceVersion);
                return Json(ResourceJson.Serialize(created), StatusCodes.Status201Created);
            }
            var selector = LabelSelectorQuery.Parse(context.Request.Query["labelSelector"].ToString());
            var fields = FieldSelectorQuery.Parse(context.Request.Query["fieldSelector"].ToString());
            var options = new ListOptions { Kind = kind.Kind, Namespace = @namespace, LabelSelector = selector };
            if (IsTrue(context.Request.Query["watch"]))
            {
                await WatchAsync(context, kind, options, fields).ConfigureAwait(false);
                return Results.Empty;
            }
            var list = await store.ListAsync(options, context.RequestAborted).ConfigureAwait(false);
            if (!fields.IsEmpty) list = list with { Items = [.. list.Items.Where(fields.Matches)] };
            if (ServerSideTable.IsRequested(context.Request)) return await TableAsync(context, kind, list.Items, list.Revision).ConfigureAwait(false);
            return Json(ListJson(kind, list), StatusCodes.Status200OK);
        }
        catch (StoreException e)
        {
            return Refuse(context, KubeStatus.FromStore(e, kind), e.Kind.ToString(), e.Message);
        }
        catch (FormatException e)
        {
            return Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, e.Message, kind), KubeStatus.BadRequest, e.Message);
        }
    }

    /// <summary>The server-side Table of <paramref name="items"/>; a Deployment's row counts its pods, so those are read too.</summary>
    private static async Task<IResult> TableAsync(HttpContext context, KindInfo kind, IEnumerable<Resource> items, long revision) =>
        Json(await TableJsonAsync(context, kind, items, revision, context.RequestAborted).ConfigureAwait(false), StatusCodes.Status200OK);

    private static async Task<string> TableJsonAsync(HttpContext context, KindInfo kind, IEnumerable<Resource> items, long revision, CancellationToken cancellationToken)
    {
        var pods = ImmutableArray<Resource>.Empty;
        if (kind.Kind == "Deployment")
        {
            var store = context.RequestServices.GetRequiredService<IResourceStore>();
            pods = (await store.ListAsync(new ListOptions { Kind = "Pod" }, cancellationToken).ConfigureAwait(false)).Items;
        }
        return ServerSideTable.Build(kind, items, [.. pods.OfType<Pod>()], revision, DateTimeOffset.UtcNow).ToJsonString();
    }

    private static async Task<IResult> ItemAsync(HttpContext context, string group, string version, string plural, string? @namespace, string name)
    {
        if (Resolve(group, version, plural, @namespace) is not { } kind)
        {
            return UnknownResource(context, group, version, plural);
        }
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        var key = new ResourceKey(kind.Kind, kind.Namespaced ? @namespace : null, name);
        try
        {
            if (HttpMethods.IsPut(context.Request.Method))
            {
                var (resource, error) = await ReadOneAsync(context, kind, @namespace, name).ConfigureAwait(false);
                if (error is not null) return error;
                if (DryRun.IsRequested(context.Request)) return Json(ResourceJson.Serialize(resource!), StatusCodes.Status200OK);
                var stored = await store.PutAsync(resource!, context.RequestAborted).ConfigureAwait(false);
                ConfigApiLog.Written(Logger(context), "Replaced", stored.Ref, stored.Metadata.ResourceVersion);
                return Json(ResourceJson.Serialize(stored), StatusCodes.Status200OK);
            }
            if (HttpMethods.IsPatch(context.Request.Method))
            {
                return await PatchAsync(context, store, kind, key).ConfigureAwait(false);
            }
            if (HttpMethods.IsDelete(context.Request.Method))
            {
                var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
                if (tooLarge is not null) return tooLarge;
                var (dryRun, expectedVersion) = DryRun.ReadDeleteOptions(context.Request, body!);
                if (dryRun)
                {
                    var existing = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
                    return existing is null ? NotFound(context, kind, name) : Json(ResourceJson.Serialize(existing), StatusCodes.Status200OK);
                }
                var deleted = await store.DeleteAsync(key, expectedVersion, context.RequestAborted).ConfigureAwait(false);
                ConfigApiLog.Written(Logger(context), "Deleted", deleted[0].Ref, deleted[0].Metadata.ResourceVersion);
                return Json(ResourceJson.Serialize(deleted[0]), StatusCodes.Status200OK);
            }
            var found = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
            if (found is null) return NotFound(context, kind, name);
            if (ServerSideTable.IsRequested(context.Request))
            {
                return await TableAsync(context, kind, [found], long.Parse(found.Metadata.ResourceVersion ?? "0", CultureInfo.InvariantCulture)).ConfigureAwait(false);
            }
            return Json(ResourceJson.Serialize(found), StatusCodes.Status200OK);
        }
        catch (StoreException e)
        {
            return Refuse(context, KubeStatus.FromStore(e, kind), e.Kind.ToString(), e.Message);
        }
        catch (FormatException e)
        {
            return Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, e.Message, kind, name), KubeStatus.BadRequest, e.Message);
        }
    }

    /// <summary>
    /// PATCH: the stored object as JSON, patched as the Content-Type says, read back through the
    /// manifest reader like any other write, and stored only if the object is still at the version
    /// that was patched (Conflict otherwise, as Kubernetes answers a concurrent update).
    /// </summary>
    private static async Task<IResult> PatchAsync(HttpContext context, IResourceStore store, KindInfo kind, ResourceKey key)
    {
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        var current = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
        if (current is null) return NotFound(context, kind, key.Name);
        JsonNode? patched;
        try
        {
            patched = PatchType.TryApply(context.Request.ContentType, ResourceJson.ToJsonObject(current), JsonNode.Parse(body!));
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, $"the patch cannot be applied: {e.Message}", kind, key.Name), KubeStatus.BadRequest, e.Message);
        }
        if (patched is null)
        {
            var message = $"the patch Content-Type \"{context.Request.ContentType}\" is not one of {PatchType.Json}, {PatchType.Merge}, {PatchType.Strategic}";
            return Refuse(context, KubeStatus.Failure(KubeStatus.UnsupportedMediaType, message, kind, key.Name), KubeStatus.UnsupportedMediaType, message);
        }
        if (patched is JsonObject { } patchedObject && patchedObject["metadata"] is JsonObject metadata && metadata["resourceVersion"] is null)
        {
            // A patch that removes resourceVersion still applies to the version it was computed against.
            metadata["resourceVersion"] = current.Metadata.ResourceVersion;
        }
        var (resource, error) = ParseOne(context, patched.ToJsonString(), kind, key.Namespace, key.Name);
        if (error is not null) return error;
        if (resource!.Equals(current)) return Json(ResourceJson.Serialize(current), StatusCodes.Status200OK);
        if (DryRun.IsRequested(context.Request)) return Json(ResourceJson.Serialize(resource), StatusCodes.Status200OK);
        var stored = await store.PutAsync(resource, context.RequestAborted).ConfigureAwait(false);
        ConfigApiLog.Written(Logger(context), "Patched", stored.Ref, stored.Metadata.ResourceVersion);
        return Json(ResourceJson.Serialize(stored), StatusCodes.Status200OK);
    }

    private static IResult NotFound(HttpContext context, KindInfo kind, string name) =>
        Refuse(context, KubeStatus.Failure(KubeStatus.NotFound, $"{kind.FullyQualifiedPlural} \"{name}\" not found", kind, name), KubeStatus.NotFound, name);

    private static async Task<IResult> ApplyAsync(HttpContext context)
    {
        var (body, tooLarge) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        var defaultNamespace = context.Request.Query["namespace"].ToString() is { Length: > 0 } ns ? ns : "default";
        var read = ManifestReader.Read(body!, "request body", defaultNamespace);
        AddWarnings(context, read);
        if (read.HasErrors)
        {
            return Refuse(context, KubeStatus.FromDiagnostics(read, null), KubeStatus.Invalid, string.Join("; ", read.Errors));
        }
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        try
        {
            var applied = await store.ApplyAsync(read.Resources, context.RequestAborted).ConfigureAwait(false);
            var revision = applied.Select(a => long.Parse(a.Resource.Metadata.ResourceVersion ?? "0", CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            ConfigApiLog.Applied(Logger(context), applied.Length, applied.Count(a => a.Outcome != ApplyOutcome.Unchanged), revision);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("apiVersion", "meshwork.io/v1");
                writer.WriteString("kind", "ApplyResult");
                writer.WriteStartArray("items");
                foreach (var item in applied)
                {
                    writer.WriteStartObject();
                    writer.WriteString("outcome", item.Outcome.ToString().ToLowerInvariant());
                    writer.WritePropertyName("object");
                    writer.WriteRawValue(ResourceJson.Serialize(item.Resource));
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            return Json(Encoding.UTF8.GetString(buffer.ToArray()), StatusCodes.Status200OK);
        }
        catch (StoreException e)
        {
            return Refuse(context, KubeStatus.FromStore(e, null), e.Kind.ToString(), e.Message);
        }
    }

    private static async Task WatchAsync(HttpContext context, KindInfo kind, ListOptions options, FieldSelectorQuery fields)
    {
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        // A watch lives as long as its client wants, so it must also end when the host stops:
        // otherwise shutdown waits for every watcher (the runtime holds several) until its timeout.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var cancellationToken = ended.Token;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache";
        var from = 0L;
        var rv = context.Request.Query["resourceVersion"].ToString();
        var replay = rv is "" or "0";
        if (!replay && !long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            await KubeStatus.Failure(KubeStatus.BadRequest, $"resourceVersion \"{rv}\" is not a number", kind).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        // kubectl get -w asks for Tables: each event then carries a one-row Table, as Kubernetes sends.
        var asTable = ServerSideTable.IsRequested(context.Request);
        async Task<string> RenderAsync(Resource r) => asTable
            ? await TableJsonAsync(context, kind, [r], long.Parse(r.Metadata.ResourceVersion ?? "0", CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false)
            : ResourceJson.Serialize(r);
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (replay)
            {
                // As Kubernetes does without a resourceVersion: the current objects first, as ADDED.
                var list = await store.ListAsync(options, cancellationToken).ConfigureAwait(false);
                foreach (var item in list.Items.Where(fields.Matches)) await WriteEventAsync(response, "ADDED", await RenderAsync(item).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                from = list.Revision;
            }
            await foreach (var change in store.WatchAsync(from, cancellationToken).ConfigureAwait(false))
            {
                var r = change.Object;
                if (r.Kind != kind.Kind) continue;
                if (options.Namespace is not null && r.Metadata.Namespace != options.Namespace) continue;
                if (options.LabelSelector is { } selector && !selector.Matches(r.Metadata.Labels)) continue;
                if (!fields.Matches(r)) continue;
                var type = change.Type switch { StoreEventType.Added => "ADDED", StoreEventType.Modified => "MODIFIED", _ => "DELETED" };
                await WriteEventAsync(response, type, await RenderAsync(r).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (StoreException e)
        {
            // Too old a resourceVersion: Kubernetes ends the watch with an ERROR event carrying a 410 Status.
            var status = KubeStatus.Build(e.Kind == StoreErrorKind.Expired ? KubeStatus.Expired : KubeStatus.BadRequest, e.Message, kind);
            await WriteEventAsync(response, "ERROR", status.ToJsonString(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ConfigApiLog.WatchEnded(Logger(context), kind.Plural, from);
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, string objectJson, CancellationToken cancellationToken)
    {
        var line = $"{{\"type\":\"{type}\",\"object\":{objectJson}}}\n";
        await response.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

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
    private static async Task<(string? Body, IResult? TooLarge)> ReadBodyAsync(HttpContext context)
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
