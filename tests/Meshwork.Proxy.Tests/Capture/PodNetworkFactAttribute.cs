namespace Meshwork.Proxy.Tests.Capture;

/// <summary>A test that needs a real pod network: skipped, with the reason shown, where it cannot be built (not root).</summary>
public sealed class PodNetworkFactAttribute : FactAttribute
{
    public PodNetworkFactAttribute()
    {
        if (PodNetwork.SkipReason is { } reason) Skip = reason;
    }
}
