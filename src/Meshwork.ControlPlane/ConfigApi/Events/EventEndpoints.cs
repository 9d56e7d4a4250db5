using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Api.Events;
using Meshwork.ControlPlane.ConfigApi.Tables;
using Meshwork.Model.Schema;
using Meshwork.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi.Events;

/// <summary>
/// Events as Kubernetes serves them: core <c>/api/v1[/namespaces/{ns}]/events</c> (list, get,
/// create; what kubectl describe and <c>get events</c> read, and where the runtime reports) and
/// <c>/apis/events.k8s.io/v1[/namespaces/{ns}]/events</c> (list, get). Listing takes Kubernetes'
/// event field selectors (<c>involvedObject.name=…,involvedObject.uid=…</c>) and a Table when asked.
/// </summary>
public static class EventEndpoints
{
    /// <summary>The field selectors Kubernetes serves on events.</summary>
    public static readonly string[] SelectableFields =
    [
        "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    ];

    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events", (HttpContext c) => List(c, null, EventJson.ToCoreV1, "v1"));
        app.MapGet("/api/v1/namespaces/{ns}/events", (HttpContext c, string ns) => List(c, ns, EventJson.ToCoreV1, "v1"));
        app.MapPost("/api/v1/namespaces/{ns}/events", (HttpContext c, string ns) => CreateAsync(c, ns));
        app.MapGet("/api/v1/namespaces/{ns}/events/{name}", (HttpContext c, string ns, string name) => Get(c, ns, name, EventJson.ToCoreV1));
        app.MapGet("/apis/events.k8s.io/v1/events", (HttpContext c) => List(c, null, EventJson.ToEventsV1, "events.k8s.io/v1"));
        app.MapGet("/apis/events.k8s.io/v1/namespaces/{ns}/events", (HttpContext c, string ns) => List(c, ns, EventJson.ToEventsV1, "events.k8s.io/v1"));
        app.MapGet("/apis/events.k8s.io/v1/namespaces/{ns}/events/{name}", (HttpContext c, string ns, string name) => Get(c, ns, name, EventJson.ToEventsV1));
        return app;
    }

    private static IResult List(HttpContext context, string? @namespace, Func<ObjectEvent, JsonObject> shape, string apiVersion)
    {
        if (context.Request.Query["watch"].ToString() is "true" or "1")
        {
            return KubeStatus.Failure(KubeStatus.MethodNotAllowed, "watching events is not served: list them again (kubectl get events)");
        }
        FieldSelectorQuery fields;
        try
        {
            fields = FieldSelectorQuery.Parse(context.Request.Query["fieldSelector"].ToString(), SelectableFields);
        }
        catch (FormatException e)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, e.Message);
        }
        var log = context.RequestServices.GetRequiredService<EventLog>();
        var (items, revision) = log.List(@namespace, e => fields.Matches(field => ValueOf(e, field)));
        if (ServerSideTable.IsRequested(context.Request))
        {
            var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            return Json(EventTable.Build(items, revision, now), StatusCodes.Status200OK);
        }
        var list = new JsonArray();
        foreach (var item in items) list.Add(shape(item));
        return Json(new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["kind"] = "EventList",
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision },
            ["items"] = list,
        }, StatusCodes.Status200OK);
    }

    private static IResult Get(HttpContext context, string @namespace, string name, Func<ObjectEvent, JsonObject> shape)
    {
        var (items, _) = context.RequestServices.GetRequiredService<EventLog>().List(@namespace, e => e.Name == name);
        return items.IsEmpty
            ? KubeStatus.Failure(KubeStatus.NotFound, $"events \"{name}\" not found")
            : Json(shape(items[0]), StatusCodes.Status200OK);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string @namespace)
    {
        var (body, tooLarge) = await ConfigApiEndpoints.ReadBodyAsync(context).ConfigureAwait(false);
        if (tooLarge is not null) return tooLarge;
        ObjectEvent reported;
        try
        {
            reported = EventJson.Parse(JsonNode.Parse(body!));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return KubeStatus.Failure(KubeStatus.Invalid, $"Event is invalid: {e.Message}");
        }
        if (reported.Namespace != @namespace)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest,
                $"the namespace of the event's object ({reported.Namespace}) does not match the namespace sent on the request ({@namespace})");
        }
        if (reported.Subject.Uid is null && KindRegistry.TryGetKind(reported.Subject.Kind, out var kind))
        {
            // Reporters such as the runtime name their pods before the store has given them a uid:
            // the event takes the uid of the object as it is now, so describe's uid selector finds it.
            var store = context.RequestServices.GetRequiredService<IResourceStore>();
            var key = new ResourceKey(kind.Kind, kind.Namespaced ? reported.Subject.Namespace : null, reported.Subject.Name);
            if (await store.FindAsync(key, context.RequestAborted).ConfigureAwait(false) is { } found)
            {
                reported = reported with { Subject = reported.Subject with { Uid = found.Metadata.Uid, ApiVersion = reported.Subject.ApiVersion ?? kind.PreferredApiVersion } };
            }
        }
        var recorded = context.RequestServices.GetRequiredService<EventLog>().Record(reported);
        return Json(EventJson.ToCoreV1(recorded), StatusCodes.Status201Created);
    }

    /// <summary>
    /// The value of a selectable field. An event whose reporter did not know its object's uid
    /// (the object not yet stored) answers null for it, so describe's uid term does not hide it.
    /// </summary>
    private static string? ValueOf(ObjectEvent e, string field) => field switch
    {
        "metadata.name" => e.Name ?? "",
        "metadata.namespace" => e.Namespace,
        "involvedObject.kind" => e.Subject.Kind,
        "involvedObject.namespace" => e.Subject.Namespace ?? "",
        "involvedObject.name" => e.Subject.Name,
        "involvedObject.uid" => e.Subject.Uid,
        "involvedObject.apiVersion" => e.Subject.ApiVersion,
        "involvedObject.fieldPath" => e.Subject.FieldPath ?? "",
        "reason" => e.Reason,
        "reportingComponent" or "source" => e.Component,
        "type" => e.Type,
        _ => null,
    };

    private static IResult Json(JsonObject document, int statusCode) =>
        Results.Text(document.ToJsonString(), "application/json", System.Text.Encoding.UTF8, statusCode);
}
