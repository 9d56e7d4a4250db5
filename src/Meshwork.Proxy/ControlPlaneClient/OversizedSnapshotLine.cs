using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// A snapshot line longer than the proxy's limit (<see cref="Configuration.ProxyOptions.MaxSnapshotBytes"/>): it is
/// never read whole. Its nonce and version are taken from its first bytes, so that the NACK names it (and the
/// control plane's next delta starts from the last snapshot this proxy ACKed), and the rest is skipped as it
/// arrives. Envoy does the same with a config it cannot take: it NACKs it and keeps serving the last good one.
/// </summary>
internal static class OversizedSnapshotLine
{
    /// <summary>How much of the line's start is searched for its nonce and version (they are its first fields).</summary>
    private const int HeadBytes = 64 * 1024;

    /// <summary>The envelope's nonce and its snapshot's (or delta's) version, when they are in the first bytes of <paramref name="line"/>.</summary>
    public static (string? Nonce, string? Version) ReadHead(ReadOnlySequence<byte> line)
    {
        string? nonce = null, version = null;
        var reader = new Utf8JsonReader(line.Length > HeadBytes ? line.Slice(0, HeadBytes) : line, isFinalBlock: false, default);
        try
        {
            while (reader.Read() && (nonce is null || version is null))
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                // {"nonce": "…", "snapshot": {"version": "…", …}} or {"nonce": "…", "delta": {"baseVersion": "…", "version": "…", …}}
                if (reader.CurrentDepth == 1 && reader.ValueTextEquals("nonce"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                    nonce = reader.GetString();
                else if (reader.CurrentDepth == 2 && reader.ValueTextEquals("version"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                    version = reader.GetString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: nothing to name in the NACK.
        }
        return (nonce, version);
    }

    /// <summary>Discards the rest of the line (through its newline) as it arrives; returns how many bytes that was.</summary>
    public static async Task<long> SkipRestAsync(PipeReader lines, CancellationToken cancellationToken)
    {
        long skipped = 0;
        while (true)
        {
            var read = await lines.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } newline)
            {
                var end = buffer.GetPosition(1, newline);
                skipped += buffer.Slice(0, end).Length;
                lines.AdvanceTo(end);
                return skipped;
            }
            skipped += buffer.Length;
            lines.AdvanceTo(buffer.End);
            if (read.IsCompleted) return skipped;
        }
    }
}
