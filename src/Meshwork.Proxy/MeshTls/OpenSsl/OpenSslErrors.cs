using System.Text;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// The thread's OpenSSL error queue, read and emptied after a failing call: left behind, an error would
/// be reported against the next unrelated call on this thread (SslStream's included).
/// </summary>
internal static unsafe class OpenSslErrors
{
    /// <summary>The first queued error in OpenSSL's words, or null when the queue is empty; the queue is cleared.</summary>
    public static string? TakeReason() => Take(out _);

    /// <summary>As <see cref="TakeReason()"/>, with the first error's reason code (ERR_GET_REASON), 0 when none.</summary>
    public static string? Take(out int reason)
    {
        var first = ERR_get_error();
        ERR_clear_error();
        reason = (int)(first & 0x7FFFFF);
        if (first == 0) return null;
        Span<byte> text = stackalloc byte[256];
        fixed (byte* p = text) ERR_error_string_n(first, p, (nuint)text.Length);
        var end = text.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? text : text[..end]);
    }
}
