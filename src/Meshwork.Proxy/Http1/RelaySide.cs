namespace Meshwork.Proxy.Http1;

/// <summary>Which connection of a relayed exchange a failure came from.</summary>
internal enum RelaySide { Downstream, Upstream }
