namespace Meshwork.ControlPlane.Push;

/// <summary>One push: when it started, how long generating and queueing took, and how many proxies got a new snapshot.</summary>
public sealed record PushTiming(DateTimeOffset StartedAt, TimeSpan Duration, int Pushed);
