namespace Meshwork.Runtime.Network;

/// <summary>
/// The users a pod's processes run as, as Kubernetes runs each container as a user of the image's
/// choosing: one for the app containers, another for the sidecar. They come from a high range no
/// distribution hands out (no passwd entry is needed), and they differ between meshes because pod
/// ranges do (a mesh holds its /24 exclusively).
/// </summary>
public readonly record struct PodUsers(int AppUid, int ProxyUid)
{
    private const int Base = 1_000_000_000;

    public static PodUsers For(Ipv4Range podRange, int slot)
    {
        var rangeIndex = (int)((podRange.Network >> 8) & 0xffff);
        var app = Base + rangeIndex * 512 + slot * 2;
        return new PodUsers(app, app + 1);
    }
}
