using Meshwork.ControlPlane.ConfigApi.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meshwork.ControlPlane.ConfigApi.CustomResources;

/// <summary><c>/apis/apiextensions.k8s.io/v1/customresourcedefinitions[/{name}]</c>: Istio's CRDs, list and get.</summary>
public static class CustomResourceDefinitionEndpoints
{
    private const string Collection = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    /// <param name="created">When the definitions were "installed": the control plane's start.</param>
    public static IEndpointRouteBuilder MapCustomResourceDefinitions(this IEndpointRouteBuilder app, DateTimeOffset created)
    {
        app.MapGet(Collection, (HttpContext c) => ServerSideTable.IsRequested(c.Request)
            ? Json(IstioCustomResourceDefinitions.Table(IstioCustomResourceDefinitions.Kinds.Select(k => IstioCustomResourceDefinitions.Definition(k, created))))
            : Json(IstioCustomResourceDefinitions.List(created)));
        app.MapGet(Collection + "/{name}", (HttpContext c, string name) => IstioCustomResourceDefinitions.Find(name, created) is not { } definition
            ? KubeStatus.Failure(KubeStatus.NotFound, $"customresourcedefinitions.apiextensions.k8s.io \"{name}\" not found")
            : ServerSideTable.IsRequested(c.Request) ? Json(IstioCustomResourceDefinitions.Table([definition])) : Json(definition));
        return app;
    }

    private static IResult Json(System.Text.Json.Nodes.JsonObject document) => Results.Text(document.ToJsonString(), "application/json");
}
