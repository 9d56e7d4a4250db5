using Meshwork.ControlPlane.Ca;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>
/// Writes to istiod's Deployment (<see cref="ControlPlaneDeployment"/>) that change its pod template restart it
/// (<see cref="IstiodRestart"/>): a restart whose CA cannot load is refused before anything is stored, as a new
/// istiod pod that fails to start leaves the running one serving, and one that can is done before the answer.
/// </remarks>
public static partial class ConfigApiEndpoints
{
    /// <summary>The refusal of a write of <paramref name="next"/> that restarts istiod onto a CA that cannot load; null otherwise.</summary>
    private static async Task<IResult?> RefuseIstiodRestartAsync(HttpContext context, KindInfo kind, Resource? current, Resource next)
    {
        if (!ControlPlaneDeployment.IsRestart(current, next) || context.RequestServices.GetService<IstiodRestart>() is not { } restart) return null;
        if (await restart.CheckAsync(context.RequestAborted).ConfigureAwait(false) is not { } problem) return null;
        var why = $"istiod cannot restart: {problem}; the current CA keeps signing";
        var message = $"{kind.Kind}.{kind.ApiGroup} \"{next.Metadata.Name}\" is invalid: spec.template: {why}";
        return Refuse(context, KubeStatus.Failure(KubeStatus.Invalid, message, kind, next.Metadata.Name, [new StatusCause("FieldValueInvalid", why, "spec.template")]),
            KubeStatus.Invalid, problem);
    }

    /// <summary>After <paramref name="stored"/> was written: istiod restarts when its template is new to it.</summary>
    private static async Task IstiodWrittenAsync(HttpContext context, Resource stored)
    {
        if (stored is Deployment deployment && ControlPlaneDeployment.Is(deployment) && context.RequestServices.GetService<IstiodRestart>() is { } restart)
        {
            await restart.ApplyAsync(deployment, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
