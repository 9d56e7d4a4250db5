using System.Net;
using System.Text.Json;
using Meshwork.Api;

namespace Meshwork.Runtime;

/// <summary>Where the control plane listens, as its server.json says: for the pods' settings and the pod network's relay.</summary>
internal static class ControlPlaneAddress
{
    /// <summary>The control plane's listener (from server.json), where the pods' relay sends their connections.</summary>
    public static EndPoint? Listener(StateDirectory state) =>
        Uri.TryCreate(Url(state), UriKind.Absolute, out var url) && IPAddress.TryParse(url.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address, url.Port)
            : url is null ? null : new DnsEndPoint(url.Host, url.Port);

    /// <summary>The control plane's URL as server.json gives it; null while there is none.</summary>
    public static string? Url(StateDirectory state)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(state.ServerInfoFile));
            return document.RootElement.TryGetProperty("url", out var url) ? url.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
