using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Inbound;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// <c>/plaintext_peers</c>: the workload ports' plaintext callers, for <c>meshwork x mtls preflight</c>
/// and <c>x mtls plaintext</c>: <c>{"peers":[{"port","source","connections","first_seen","last_seen"}]}</c>.
/// </summary>
internal static class PlaintextPeersJson
{
    public static string Write(IReadOnlyList<PlaintextPeer> peers)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("peers");
            foreach (var peer in peers)
            {
                json.WriteStartObject();
                json.WriteNumber("port", peer.Port);
                json.WriteString("source", peer.Source.ToString());
                json.WriteNumber("connections", peer.Connections);
                json.WriteString("first_seen", peer.FirstSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteString("last_seen", peer.LastSeen.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
