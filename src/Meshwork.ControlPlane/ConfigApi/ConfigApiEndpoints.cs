using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.CustomResources;
using Meshwork.ControlPlane.ConfigApi.Discovery;
using Meshwork.ControlPlane.ConfigApi.Events;
using Meshwork.ControlPlane.ConfigApi.Patching;
using Meshwork.ControlPlane.ConfigApi.PodExec;
using Meshwork.ControlPlane.ConfigApi.PodLogs;
using Meshwork.ControlPlane.ConfigApi.PortForward;
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
public static partial class ConfigApiEndpoints
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
        app.MapPodPortForward();
        app.MapEvents();
        app.MapCustomResourceDefinitions(app.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow());

        // Namespaces are cluster-scoped: /api/v1/namespaces[/{name}].
        app.MapMethods("/api/v1/namespaces", collectionVerbs, (Delegate)((HttpContext c) => CollectionAsync(c, "", "v1", "namespaces", null)));
        app.MapMethods("/api/v1/namespaces/{name}", itemVerbs, (HttpContext c, string name) => ItemAsync(c, "", "v1", "namespaces", null, name));
        // So are Nodes, which the joined hosts register: /api/v1/nodes[/{name}].
        app.MapMethods("/api/v1/nodes", collectionVerbs, (Delegate)((HttpContext c) => CollectionAsync(c, "", "v1", "nodes", null)));
        app.MapMethods("/api/v1/nodes/{name}", itemVerbs, (HttpContext c, string name) => ItemAsync(c, "", "v1", "nodes", null, name));

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
                var (read, error) = await ReadOneAsync(context, kind, @namespace, null).ConfigureAwait(false);
                if (error is not null) return error;
                var (resource, refused) = WithUpdateManagers(context, kind, null, read!);
                if (refused is not null) return refused;
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
                var (read, error) = await ReadOneAsync(context, kind, @namespace, name).ConfigureAwait(false);
                if (error is not null) return error;
                var current = await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false);
                var (resource, refused) = WithUpdateManagers(context, kind, current, read!);
                if ((refused ?? await RefuseIstiodRestartAsync(context, kind, current, resource!).ConfigureAwait(false)) is { } refusal) return refusal;
                if (DryRun.IsRequested(context.Request)) return Json(ResourceJson.Serialize(resource!), StatusCodes.Status200OK);
                var stored = await store.PutAsync(resource!, context.RequestAborted).ConfigureAwait(false);
                ConfigApiLog.Written(Logger(context), "Replaced", stored.Ref, stored.Metadata.ResourceVersion);
                await IstiodWrittenAsync(context, stored).ConfigureAwait(false);
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
}
