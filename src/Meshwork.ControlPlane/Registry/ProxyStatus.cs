using System.Text.Json.Serialization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Registry;

/// <summary>One row of GET /meshwork/v1/proxies: what `meshwork proxy-status` prints.</summary>
public sealed record ProxyStatus
{
    public required string Id { get; init; }
    public required string Pod { get; init; }
    public required string Namespace { get; init; }
    public required ProxyRole Role { get; init; }
    public string? Workload { get; init; }
    /// <summary>The identity of the certificate the stream was opened with.</summary>
    public required string Identity { get; init; }
    public string? PodIp { get; init; }
    /// <summary>SYNCED, STALE, NACK or DISCONNECTED.</summary>
    public required string Status { get; init; }
    public required DateTimeOffset ConnectedAt { get; init; }
    public DateTimeOffset? DisconnectedAt { get; init; }
    public string? SentVersion { get; init; }
    public string? SentNonce { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public string? AckedVersion { get; init; }
    public DateTimeOffset? AckedAt { get; init; }
    public string? NackVersion { get; init; }
    public string? NackError { get; init; }
    public string? GenerationError { get; init; }

    public const string StatusPath = "/meshwork/v1/proxies";

    internal static ProxyStatus Of(ProxyConnection c) => new()
    {
        Id = c.Id,
        Pod = c.Registration.Pod,
        Namespace = c.Registration.Namespace,
        Role = c.Registration.Role,
        Workload = c.Registration.Workload,
        Identity = c.Identity.Uri,
        PodIp = c.Registration.PodIp,
        Status = c.State.ToString().ToUpperInvariant(),
        ConnectedAt = c.ConnectedAt,
        DisconnectedAt = c.DisconnectedAt,
        SentVersion = c.LastSentVersion,
        SentNonce = c.LastSentNonce,
        SentAt = c.LastSentAt,
        AckedVersion = c.AckedVersion,
        AckedAt = c.AckedAt,
        NackVersion = c.NackVersion,
        NackError = c.NackError,
        GenerationError = c.GenerationError,
    };
}

/// <summary>Source-generated JSON for the registry's admin API (server and CLI).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(ProxyStatus[]))]
public sealed partial class RegistryJson : JsonSerializerContext;
