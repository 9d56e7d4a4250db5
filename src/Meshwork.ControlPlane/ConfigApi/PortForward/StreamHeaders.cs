using System.Globalization;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// The headers of a port-forward stream (k8s.io/api core/v1: <c>streamType</c>, <c>port</c>,
/// <c>requestID</c>), read strictly, as the kubelet refuses a stream whose port or type is missing
/// or wrong.
/// </summary>
internal static class StreamHeaders
{
    public const string StreamType = "streamtype";
    public const string Port = "port";
    public const string RequestId = "requestid";
    public const string Error = "error";
    public const string Data = "data";

    /// <summary>Null when the stream is well-formed; otherwise why it is refused.</summary>
    public static string? Read(IReadOnlyDictionary<string, string> headers, out bool isData, out int port, out string? requestId)
    {
        isData = false;
        port = 0;
        requestId = null;
        if (!headers.TryGetValue(StreamType, out var type) || type is not (Error or Data))
        {
            return $"\"streamType\" must be \"{Error}\" or \"{Data}\", not \"{(type ?? "")}\"";
        }
        isData = type == Data;
        if (!headers.TryGetValue(Port, out var portText)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return $"\"port\" must be a port number from 1 to 65535, not \"{(portText ?? "")}\"";
        }
        if (!headers.TryGetValue(RequestId, out requestId) || requestId.Length is 0 or > 64)
        {
            return "\"requestID\" must name the forwarded connection the stream belongs to";
        }
        return null;
    }
}
