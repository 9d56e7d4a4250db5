namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The trait that sorts the suite into CI's passes (.ci/run): as root the suite runs in the pod network mode, and
/// the classes marked <see cref="LoopbackMode"/> (`--filter PodNetworkPass=loopback-mode`) run once more in their
/// own pass because they are about the loopback mode itself (what it cannot isolate, its 127.x addresses).
/// </summary>
public static class PodNetworkPass
{
    public const string Trait = "PodNetworkPass";

    /// <summary>A class about the loopback mode itself: it pins that mode, so the pod network pass leaves it out.</summary>
    public const string LoopbackMode = "loopback-mode";
}
