using System.Security.Cryptography;

namespace Meshwork.ControlPlane.Hosting.Replication;

/// <summary>This control-plane process among the replicas: a fresh id per start, and the URL it serves once it listens.</summary>
public sealed class ReplicaIdentity
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    private volatile string _url = "";

    public string Url
    {
        get => _url;
        set => _url = value;
    }
}
