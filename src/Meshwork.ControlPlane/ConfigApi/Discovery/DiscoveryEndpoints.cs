using System.Text.Json.Nodes;
using Meshwork.ControlPlane.ConfigApi.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meshwork.ControlPlane.ConfigApi.Discovery;

/// <summary>
/// What kubectl reads before any verb: <c>/version</c>, <c>/api</c>, <c>/apis</c>,
/// <c>/api/v1</c>, <c>/apis/{group}[/{version}]</c> and the OpenAPI v3 documents.
/// </summary>
public static class DiscoveryEndpoints
{
    public static IEndpointRouteBuilder MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/version", () => Json(ServerVersion.Document()));
        app.MapGet("/api", (HttpContext c) => Json(DiscoveryDocuments.ApiVersions(c.Request.Host.Value ?? "")));
        app.MapGet("/api/{version}", (HttpContext c, string version) => DiscoveryDocuments.Serves("", version)
            ? Json(DiscoveryDocuments.ResourceList("", version))
            : NotServed(version));
        app.MapGet("/apis", () => Json(DiscoveryDocuments.GroupList()));
        app.MapGet("/apis/{group}", (string group) => DiscoveryDocuments.Group(group) is { } document ? Json(document) : NotServed(group));
        app.MapGet("/apis/{group}/{version}", (string group, string version) => DiscoveryDocuments.Serves(group, version)
            ? Json(DiscoveryDocuments.ResourceList(group, version))
            : NotServed($"{group}/{version}"));
        app.MapGet("/openapi/v3", () => Json(OpenApiV3Documents.Root()));
        app.MapGet("/openapi/v3/{**path}", (string path) => OpenApiV3Documents.Document(path) is { } document ? Json(document) : NotServed(path));
        return app;
    }

    private static IResult Json(JsonObject document) => Results.Text(document.ToJsonString(), "application/json");

    private static IResult NotServed(string what) =>
        KubeStatus.Failure(KubeStatus.NotFound, $"the server could not find the requested resource ({what} is not served)");
}
