namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// Spreads reconnects: a wait of <c>delay</c> becomes a random wait between half of it and all of it
/// ("equal jitter"). Every proxy loses its stream at the same moment when the control plane restarts;
/// without jitter they would all come back in the same instant, and again together after each refusal.
/// </summary>
internal static class ReconnectJitter
{
    public static TimeSpan Spread(TimeSpan delay, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var half = delay / 2;
        return half + half * random.NextDouble();
    }
}
