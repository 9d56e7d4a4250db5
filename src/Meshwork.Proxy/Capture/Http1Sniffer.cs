using System.Buffers;
using System.Net.Sockets;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// Whether a captured connection to a service port that is not declared opaque opens with an HTTP/1.x request
/// (Envoy's http_inspector, which Istio puts on outbound listeners for ports it must sniff): a request method
/// token and a space (RFC 9112 §3). The bytes are peeked, not read, so the relay that serves the connection
/// reads them again; a client that sends nothing before the timeout speaks a server-first protocol: TCP.
/// </summary>
internal static class Http1Sniffer
{
    private static readonly byte[][] Methods =
        [.. new[] { "GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH " }.Select(m => System.Text.Encoding.ASCII.GetBytes(m))];
    private const int Longest = 8;
    private static readonly TimeSpan Repeek = TimeSpan.FromMilliseconds(10);

    public enum Verdict { NeedMore, Http1, Other }

    public static Verdict Classify(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return Verdict.NeedMore;
        var prefixOfSome = false;
        foreach (var method in Methods)
        {
            if (head.Length >= method.Length)
            {
                if (head[..method.Length].SequenceEqual(method)) return Verdict.Http1;
            }
            else if (method.AsSpan(0, head.Length).SequenceEqual(head)) prefixOfSome = true;
        }
        return prefixOfSome ? Verdict.NeedMore : Verdict.Other;
    }

    public static async ValueTask<bool> OpensWithHttp1Async(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Longest);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var seen = 0;
            while (true)
            {
                var peeked = await socket.ReceiveAsync(buffer.AsMemory(0, Longest), SocketFlags.Peek, cts.Token).ConfigureAwait(false);
                if (peeked == 0) return false;
                var verdict = Classify(buffer.AsSpan(0, peeked));
                if (verdict != Verdict.NeedMore) return verdict == Verdict.Http1;
                // A peek returns at once while any byte is queued: wait a little for the rest of the method token.
                if (peeked == seen) await Task.Delay(Repeek, cts.Token).ConfigureAwait(false);
                seen = peeked;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return false; }
        catch (SocketException) { return false; }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}
