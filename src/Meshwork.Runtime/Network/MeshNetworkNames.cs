using System.Globalization;

namespace Meshwork.Runtime.Network;

/// <summary>
/// The names of one mesh's network objects, derived from its state directory so that two meshes on
/// one machine never share one, and a later run finds what a crashed run left (Linux interface
/// names have at most 15 characters).
/// </summary>
public sealed record MeshNetworkNames(string Id)
{
    public static MeshNetworkNames For(string stateRoot) =>
        new(AddressRanges.StableHash(Path.GetFullPath(stateRoot)).ToString("x8", CultureInfo.InvariantCulture));

    /// <summary>The node bridge in the root namespace.</summary>
    public string Bridge => $"mwbr{Id}";
    /// <summary>Prefix of every pod namespace of this mesh.</summary>
    public string NamespacePrefix => $"mw-{Id}-";
    /// <summary>Prefix of every host-side veth of this mesh.</summary>
    public string VethPrefix => $"mwv{Id}";

    public string PodNamespace(int slot) => $"{NamespacePrefix}{slot.ToString(CultureInfo.InvariantCulture)}";
    public string HostVeth(int slot) => $"{VethPrefix}{slot.ToString("x2", CultureInfo.InvariantCulture)}";
    public static string NamespacePath(string name) => $"/run/netns/{name}";

    /// <summary>This mesh's folder under /run/meshwork (range lock, mount staging point).</summary>
    public string RunDirectory => Path.Combine(NamespacePodNetwork.RunRoot, Id);
}
