using System.Text.Json;
using Meshwork.ControlPlane.Hosting.Replication;
using Meshwork.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.Hosting.Status;

/// <summary>
/// <c>/readyz</c>: 200 only while the store answers (a load balancer or a proxy picks another
/// replica otherwise), 503 with the reason. <c>/healthz</c> stays the liveness check: a replica
/// whose store is away is alive and keeps serving its proxies their last snapshots.
/// <see cref="ControlPlaneStatus.Path"/> (admin): the store's health, every replica and every node.
/// </summary>
public static class StatusEndpoints
{
    public const string ReadyPath = "/readyz";

    public static void Map(WebApplication app)
    {
        app.MapGet(ReadyPath, async (HttpContext context, StoreHealth health) =>
        {
            var store = await health.CheckAsync(context.RequestAborted).ConfigureAwait(false);
            return store.Reachable
                ? Results.Text("ok\n")
                : Results.Text($"not ready: the store {store.Location} does not answer\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet(ControlPlaneStatus.Path, async (HttpContext context) =>
        {
            if (!context.RequestServices.GetRequiredService<IAdminAuthenticator>().IsAdmin(context))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: "the status needs the admin token (Authorization: Bearer <state-dir>/admin-token)");
            }
            var status = await ReadAsync(context.RequestServices, context.RequestAborted).ConfigureAwait(false);
            return Results.Text(JsonSerializer.Serialize(status, StatusJson.Default.ControlPlaneStatus), "application/json");
        });
    }

    private static async Task<ControlPlaneStatus> ReadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var self = services.GetRequiredService<ReplicaIdentity>();
        var store = await services.GetRequiredService<StoreHealth>().CheckAsync(cancellationToken).ConfigureAwait(false);
        var proxies = services.GetRequiredService<Registry.ProxyRegistry>().Connected.Count;
        var me = new ReplicaStatus(self.Id, self.Url, Environment.MachineName, Environment.ProcessId, self.StartedAt, 0, proxies, true, true);
        var heartbeat = services.GetService<ReplicaHeartbeat>();
        if (!store.Reachable)
        {
            // A store that does not answer: this replica is all that can be told.
            return new ControlPlaneStatus(self.Id, false, store, [me with { Leader = heartbeat?.IsLeader ?? true }], []);
        }
        var nodes = await NodeSummaries.ReadAsync(services.GetRequiredService<IResourceStore>(), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        if (heartbeat is null)
        {
            // One host: this replica is the control plane.
            return new ControlPlaneStatus(self.Id, true, store, [me], nodes);
        }
        var rows = await heartbeat.Replicas.ListAsync(3 * ReplicaHeartbeat.Interval, cancellationToken).ConfigureAwait(false);
        // The lease is exclusive: while this replica holds it, a leader flag in another row is what that replica wrote
        // before it lost the lease (or died), and it would show two leaders until its heartbeat lapsed.
        var selfLeads = heartbeat.IsLeader;
        var replicas = rows.Select(r => new ReplicaStatus(r.Id, r.Url, r.Host, r.Pid, r.StartedAt, Math.Round(r.HeartbeatAge.TotalSeconds, 1),
            r.Id == self.Id ? proxies : r.ConnectedProxies, r.Id == self.Id ? selfLeads : r.Leader && !selfLeads, r.Id == self.Id)).ToList();
        if (replicas.All(r => !r.Self)) replicas.Insert(0, me with { Leader = heartbeat.IsLeader });
        return new ControlPlaneStatus(self.Id, true, store, [.. replicas], nodes);
    }
}
