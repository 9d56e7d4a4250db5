using System.Globalization;
using Meshwork.ControlPlane.ConfigApi.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ControlPlane.ConfigApi;

/// <remarks>Watch: the change feed as Kubernetes streams it, one JSON event per line.</remarks>
public static partial class ConfigApiEndpoints
{
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
}
