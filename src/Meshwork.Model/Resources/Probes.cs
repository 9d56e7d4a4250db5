using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>
/// A container's readinessProbe or livenessProbe (core/v1 Probe): one handler (httpGet,
/// tcpSocket or exec) and the kubelet's timing, with Kubernetes' defaults.
/// </summary>
public sealed record Probe
{
    public HttpGetAction? HttpGet { get; init; }
    public TcpSocketAction? TcpSocket { get; init; }
    public ExecAction? Exec { get; init; }
    public int InitialDelaySeconds { get; init; }
    public int PeriodSeconds { get; init; } = 10;
    public int TimeoutSeconds { get; init; } = 1;
    public int SuccessThreshold { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
}

/// <summary>httpGet: a status from 200 to 399 is a success, as the kubelet counts it.</summary>
public sealed record HttpGetAction
{
    public string Path { get; init; } = "/";
    public required IntOrString Port { get; init; }
    /// <summary>HTTP or HTTPS (the kubelet does not verify the server's certificate).</summary>
    public string Scheme { get; init; } = "HTTP";
    public ImmutableArray<HttpHeader> HttpHeaders { get; init; } = [];

    /// <summary>Structural: lists compare by content.</summary>
    public bool Equals(HttpGetAction? other) =>
        other is not null && Path == other.Path && Equals(Port, other.Port) && Scheme == other.Scheme && Equality.Seq(HttpHeaders, other.HttpHeaders);

    public override int GetHashCode() => HashCode.Combine(Path, Port, Scheme, Equality.Hash(HttpHeaders));
}

public sealed record HttpHeader(string Name, string Value);

/// <summary>tcpSocket: a connection that opens is a success.</summary>
public sealed record TcpSocketAction
{
    public required IntOrString Port { get; init; }
}

/// <summary>exec: the command, run in the container's world, exiting 0 is a success.</summary>
public sealed record ExecAction
{
    public ImmutableArray<string> Command { get; init; } = [];

    /// <summary>Structural: lists compare by content.</summary>
    public bool Equals(ExecAction? other) => other is not null && Equality.Seq(Command, other.Command);

    public override int GetHashCode() => Equality.Hash(Command);
}
