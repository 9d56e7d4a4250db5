using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// The snapshot stream: one long-lived response per proxy, newline-delimited JSON
/// <see cref="SnapshotEnvelope"/>s, each flushed as written; an empty line is a heartbeat.
/// And the ACK endpoint, where the proxy says which version it applied or why it refused it.
/// </summary>
public sealed partial class StreamEndpoints(
    MeshCallerAuthenticator authenticator,
    ProxyRegistry registry,
    SnapshotPusher pusher,
    ConnectAdmission admission,
    PushOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<StreamEndpoints> logger)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task StreamAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = await authenticator.FromClientCertificateAsync(context).ConfigureAwait(false);
        if (caller.Identity is not SpiffeId identity)
        {
            await WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", $"a mesh client certificate is required: {caller.Failure}").ConfigureAwait(false);
            return;
        }
        var (registration, tooLarge) = await BoundedJsonBody.ReadAsync(context, ProtocolJson.Default.ProxyRegistration, ProxyRegistration.MaxBytes).ConfigureAwait(false);
        if (tooLarge)
        {
            await WriteProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "PayloadTooLarge",
                $"the registration is over {ProxyRegistration.MaxBytes} bytes; leave out the held parts to be sent a full snapshot").ConfigureAwait(false);
            return;
        }
        if (registration is null || string.IsNullOrWhiteSpace(registration.Pod) || string.IsNullOrWhiteSpace(registration.Namespace))
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "BadRequest", "the body must be a ProxyRegistration with role, namespace and pod").ConfigureAwait(false);
            return;
        }
        if (MismatchWithIdentity(registration, identity) is { } mismatch)
        {
            LogRegistrationRefused(identity.Uri, mismatch);
            await WriteProblemAsync(context, StatusCodes.Status403Forbidden, "Forbidden", mismatch).ConfigureAwait(false);
            return;
        }

        using var lease = await admission.AdmitAsync(context.RequestAborted).ConfigureAwait(false);
        if (lease is null)
        {
            LogNotAdmitted(identity.Uri);
            context.Response.Headers.RetryAfter = "1";
            await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "too many proxies are connecting at once; retry shortly").ConfigureAwait(false);
            return;
        }
        var connection = registry.Connect(registration, identity);
        LogConnected(connection.Id, identity.Uri);
        // Streams never finish on their own: end them when the server stops, so that shutdown does
        // not wait out its timeout. Proxies reconnect (to this or another replica).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Closed, lifetime.ApplicationStopping);
        try
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/x-ndjson";
            context.Response.Headers.CacheControl = "no-cache";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await context.Response.StartAsync(ended.Token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ended.Token).ConfigureAwait(false);

            pusher.Refresh(connection);
            await WriteLoopAsync(context.Response.BodyWriter, connection, lease, ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The proxy went away, the server is stopping, or a newer stream of this proxy took over.
        }
        catch (IOException)
        {
            // The connection broke mid-write; the proxy reconnects.
        }
        finally
        {
            registry.Disconnect(connection);
            LogDisconnected(connection.Id);
        }
    }

    private async Task WriteLoopAsync(PipeWriter body, ProxyConnection connection, ConnectAdmission.Lease admitted, CancellationToken cancellationToken)
    {
        // A proxy that runs the current version already is sent nothing: its turn ends at once.
        if (!connection.HasPending) admitted.Dispose();
        while (!cancellationToken.IsCancellationRequested)
        {
            var snapshot = await connection.TakeAsync(options.Heartbeat, time, cancellationToken).ConfigureAwait(false);
            if (snapshot is null)
            {
                body.Write(NewLine);
                if ((await body.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted) return;
                continue;
            }
            if (connection.AlreadySent(snapshot)) continue;
            var (nonce, deltaBase, held) = connection.RecordSent(snapshot, time.GetUtcNow());
            // The line and its newline go out in one flush: one write to the connection per update.
            var diff = deltaBase is not null ? SnapshotDiff.Between(deltaBase, snapshot)
                : held is not null ? HeldDiff.Between(connection.Registration.CurrentVersion, held, snapshot) : null;
            if (diff is not null) StreamLines.WriteDelta(body, nonce, diff);
            else StreamLines.WriteFull(body, nonce, snapshot);
            body.Write(NewLine);
            var flushed = await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            admitted.Dispose();
            if (flushed.IsCompleted) return;
            LogSent(connection.Id, snapshot.Version, nonce);
        }
    }

    public async Task<IResult> AckAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var caller = await authenticator.FromClientCertificateAsync(context).ConfigureAwait(false);
        if (caller.Identity is not SpiffeId identity)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: $"a mesh client certificate is required: {caller.Failure}");
        }
        var (ack, ackTooLarge) = await BoundedJsonBody.ReadAsync(context, ProtocolJson.Default.SnapshotAck, SnapshotAck.MaxBytes).ConfigureAwait(false);
        if (ackTooLarge)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "PayloadTooLarge", detail: $"an ACK is at most {SnapshotAck.MaxBytes} bytes");
        }
        if (ack is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "BadRequest", detail: "the body must be a SnapshotAck");
        }
        switch (registry.RecordAck(ack, identity))
        {
            case AckOutcome.UnknownProxy:
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "NotFound", detail: $"proxy {ack.ProxyId} has no stream open");
            case AckOutcome.NotYourProxy:
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: $"{identity.Uri} may not answer for proxy {ack.ProxyId}");
        }
        if (ack.Error is null) LogAcked(ack.ProxyId, ack.Version);
        else LogNacked(ack.ProxyId, ack.Version, ack.Error);
        return Results.NoContent();
    }

    /// <summary>
    /// A sidecar or gateway must register in the namespace and with the service account of its
    /// certificate: a stolen bootstrap token for one identity cannot fetch another's policy. The
    /// plain network proxy serves pods of every namespace under the identity it was issued.
    /// </summary>
    internal static string? MismatchWithIdentity(ProxyRegistration registration, SpiffeId identity)
    {
        if (registration.Role == ProxyRole.Network) return null;
        var sa = registration.ServiceAccount ?? "default";
        if (registration.Namespace != identity.Namespace || sa != identity.ServiceAccount)
        {
            return $"the registration says namespace '{registration.Namespace}' and service account '{sa}', but the client certificate is {identity.Uri}";
        }
        return null;
    }

    private static async Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
        => await Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context).ConfigureAwait(false);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Proxy {ProxyId} connected as {Identity}")]
    private partial void LogConnected(string proxyId, string identity);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Proxy {ProxyId} disconnected")]
    private partial void LogDisconnected(string proxyId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Refused a stream from {Identity}: {Why}")]
    private partial void LogRegistrationRefused(string identity, string why);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "Asked {Identity} to retry its stream: too many proxies are connecting at once")]
    private partial void LogNotAdmitted(string identity);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Sent snapshot {Version} to proxy {ProxyId} (nonce {Nonce})")]
    private partial void LogSent(string proxyId, string version, string nonce);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Proxy {ProxyId} ACKed snapshot {Version}")]
    private partial void LogAcked(string proxyId, string version);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Proxy {ProxyId} rejected snapshot {Version}: {Error}")]
    private partial void LogNacked(string proxyId, string version, string error);
}
