using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ProxyProtocol;

/// <summary>Source-generated JSON for everything that crosses the control plane ↔ proxy wire.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = false)]
[JsonSerializable(typeof(ProxySnapshot))]
[JsonSerializable(typeof(CertificateRequest))]
[JsonSerializable(typeof(CertificateResponse))]
[JsonSerializable(typeof(ProxyRegistration))]
[JsonSerializable(typeof(SnapshotEnvelope))]
[JsonSerializable(typeof(SnapshotAck))]
[JsonSerializable(typeof(SnapshotUpdate))]
[JsonSerializable(typeof(SnapshotDelta))]
[JsonSerializable(typeof(BootstrapTokenRequest))]
[JsonSerializable(typeof(BootstrapTokenResponse))]
public sealed partial class ProtocolJson : JsonSerializerContext
{
    /// <summary>
    /// The same contract, indented, for humans (config_dump, golden files). Enums are strings through the
    /// generated metadata (UseStringEnumConverter above), which keeps this usable in the NativeAOT sidecar.
    /// </summary>
    public static ProtocolJson Indented { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    });
}
