using System.Globalization;
using Meshwork.Api;
using Meshwork.Model.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ControlPlane.ConfigApi.PodLogs;

/// <summary>
/// The pod log subresource, <c>GET /api/v1/namespaces/{ns}/pods/{name}/log</c>, that
/// <c>kubectl logs</c> reads: <c>container</c>, <c>tailLines</c> and <c>follow</c>, in plain text.
/// The runtime appends each container's output to a file in the state directory, which the
/// control plane shares, so the log is read from there.
/// </summary>
public static class PodLogEndpoint
{
    public static IEndpointRouteBuilder MapPodLogs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", (Delegate)LogAsync);
        return app;
    }

    private static async Task<IResult> LogAsync(HttpContext context, string ns, string name)
    {
        var (container, refusal) = await PodContainerLookup.FindAsync(context, ns, name, context.Request.Query["container"].ToString()).ConfigureAwait(false);
        if (refusal is not null) return refusal;
        var query = context.Request.Query;
        var tail = -1;
        if (query["tailLines"].ToString() is { Length: > 0 } tailText && (!int.TryParse(tailText, NumberStyles.None, CultureInfo.InvariantCulture, out tail)))
        {
            KindRegistry.TryGetKind("Pod", out var podKind);
            return KubeStatus.Failure(KubeStatus.BadRequest, $"tailLines \"{tailText}\" is not a non-negative number", podKind, name);
        }
        var follow = query["follow"].ToString() is "true" or "1";

        var file = context.RequestServices.GetRequiredService<StateDirectory>().ContainerLogFile(ns, name, container!);
        // A followed log lives as long as its client, so it also ends when the host stops.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.StartAsync(ended.Token).ConfigureAwait(false);
        try
        {
            await ContainerLog.CopyAsync(file, tail, follow, context.Response.Body, ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The client went away or the host is stopping: the log simply ends.
        }
        return Results.Empty;
    }
}
