using System.Text;
using Meshwork.Proxy.Metrics;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Forwarding;

/// <summary>Maps a forwarding failure to what the client sees and the Envoy response flag, in one place.</summary>
internal static class ErrorResponder
{
    public static (int Status, string Flags) Map(UpstreamStage stage, bool retried) => stage switch
    {
        UpstreamStage.NoRoute => (502, ResponseFlags.NoRoute),
        UpstreamStage.NoMatchingRoute => (404, ResponseFlags.NoRoute),
        UpstreamStage.NoCluster => (503, ResponseFlags.NoClusterFound),
        UpstreamStage.NoHealthyUpstream => (503, ResponseFlags.NoHealthyUpstream),
        UpstreamStage.Connect => (503, retried ? ResponseFlags.UpstreamRetryLimitExceeded : ResponseFlags.UpstreamConnectionFailure),
        UpstreamStage.Tls => (503, ResponseFlags.UpstreamConnectionFailure),
        UpstreamStage.ResponseHeaders => (503, ResponseFlags.UpstreamConnectionTermination),
        UpstreamStage.ResponseBody => (502, ResponseFlags.UpstreamConnectionTermination),
        UpstreamStage.Timeout => (504, ResponseFlags.UpstreamRequestTimeout),
        UpstreamStage.Downstream => (499, ResponseFlags.DownstreamConnectionTermination),
        UpstreamStage.DownstreamProtocolError => (400, ResponseFlags.DownstreamProtocolError),
        UpstreamStage.UpstreamProtocolError => (502, ResponseFlags.UpstreamProtocolError),
        _ => (503, ResponseFlags.UpstreamConnectionFailure),
    };

    /// <summary>Writes a plain-text error body, when the response has not started yet.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string body)
    {
        if (context.Response.HasStarted) { context.Abort(); return; }
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        var bytes = Encoding.UTF8.GetBytes(body.EndsWith('\n') ? body : body + "\n");
        context.Response.ContentLength = bytes.Length;
        try { await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or OperationCanceledException) { }
    }
}
