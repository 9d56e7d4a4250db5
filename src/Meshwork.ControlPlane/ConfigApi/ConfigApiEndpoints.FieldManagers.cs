using Meshwork.ControlPlane.ConfigApi.ServerSideApply;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>
/// Field managers of the writes that are not server-side apply: a create, update or patch records an
/// <c>Update</c> entry for the request's manager (<see cref="UpdateManagers"/>), so that a later
/// <c>kubectl apply --server-side</c> names it in its conflicts.
/// </remarks>
public static partial class ConfigApiEndpoints
{
    /// <summary><paramref name="next"/> with its managers after this request writes it over <paramref name="current"/>, or why the request is refused.</summary>
    private static (Resource? Resource, IResult? Refusal) WithUpdateManagers(HttpContext context, KindInfo kind, Resource? current, Resource next)
    {
        var (manager, problem) = UpdateManagers.ManagerOf(context.Request.Query["fieldManager"].ToString(), context.Request.Headers.UserAgent.ToString());
        if (manager is null) return (null, Refuse(context, KubeStatus.Failure(KubeStatus.BadRequest, problem!, kind, next.Metadata.Name), KubeStatus.BadRequest, problem!));
        var live = current is null || current.Metadata.ManagedFields.IsDefault ? [] : current.Metadata.ManagedFields;
        // managedFields that the request sets itself are taken as they are, as Kubernetes takes them: that is how
        // kubectl moves the fields of a client-side apply to server-side apply.
        if (!next.Metadata.ManagedFields.IsDefaultOrEmpty && !next.Metadata.ManagedFields.SequenceEqual(live)) return (next, null);
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var managers = UpdateManagers.Record(current is null ? null : ResourceJson.ToJsonObject(current), live, ResourceJson.ToJsonObject(next), manager, next.ApiVersion, now);
        return (next with { Metadata = next.Metadata with { ManagedFields = managers } }, null);
    }
}
