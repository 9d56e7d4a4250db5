using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>
/// spec.clusterIP as the API server assigns it: a new Service gets a free address of the Service
/// range; a given address is kept when it is in the range and free; "None" (headless) and
/// ExternalName Services get none; once set, the address never changes.
/// </summary>
public sealed class ClusterIpAllocation
{
    private readonly uint _network;
    private readonly uint _size;
    private readonly HashSet<uint> _used = [];

    /// <param name="range">An IPv4 prefix such as 10.96.0.0/12.</param>
    /// <param name="inUse">Addresses already held by stored Services.</param>
    public ClusterIpAllocation(string range, IEnumerable<string?> inUse)
    {
        var slash = range.IndexOf('/', StringComparison.Ordinal);
        var prefix = int.Parse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        _size = 1u << (32 - prefix);
        _network = ToUInt32(IPAddress.Parse(range[..slash])) & ~(_size - 1);
        Range = range;
        foreach (var address in inUse)
        {
            if (TryParse(address, out var value)) _used.Add(value);
        }
    }

    public string Range { get; }

    /// <summary>The Service as it is stored; other kinds pass unchanged. Throws Invalid for an address that cannot be had.</summary>
    public Resource Assign(Resource incoming, Resource? existing, int? index = null)
    {
        if (incoming is not Service service || service.Spec.Type == "ExternalName") return incoming;
        var key = ResourceKey.Of(incoming);
        var wanted = service.Spec.ClusterIp;
        if (existing is Service { Spec.ClusterIp: { } current })
        {
            if (wanted is null) return service with { Spec = service.Spec with { ClusterIp = current } };
            if (wanted != current) throw Invalid(key, index, $"Service \"{key.Name}\": spec.clusterIP: Invalid value: \"{wanted}\": field is immutable (it is {current})");
            return service;
        }
        if (wanted == "None") return service;
        if (wanted is not null)
        {
            if (!TryParse(wanted, out var value) || value - _network >= _size)
            {
                throw Invalid(key, index, $"Service \"{key.Name}\": spec.clusterIP: Invalid value: \"{wanted}\": provided IP is not in the valid range. The range of valid IPs is {Range}");
            }
            if (!_used.Add(value)) throw Invalid(key, index, $"Service \"{key.Name}\": spec.clusterIP: Invalid value: \"{wanted}\": provided IP is already allocated");
            return service;
        }
        // Start where the Service's name points, so a re-created mesh tends to give the same addresses.
        var start = Hash($"{key.Namespace}/{key.Name}") % (_size - 2);
        for (uint i = 0; i < _size - 2; i++)
        {
            // Neither the network address nor the last one (the broadcast of the range) is handed out.
            var candidate = _network + 1 + (start + i) % (_size - 2);
            if (_used.Add(candidate)) return service with { Spec = service.Spec with { ClusterIp = FromUInt32(candidate).ToString() } };
        }
        throw Invalid(key, index, $"Service \"{key.Name}\": no clusterIP left in {Range}");
    }

    private static StoreException Invalid(ResourceKey key, int? index, string message) =>
        new(StoreErrorKind.Invalid, message, [new StoreCause(index, "spec.clusterIP", message)], key);

    private static bool TryParse(string? text, out uint value)
    {
        value = 0;
        if (text is null || text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork) return false;
        value = ToUInt32(address);
        return true;
    }

    private static uint ToUInt32(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static uint Hash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = unchecked((hash ^ c) * 16777619u);
        return hash;
    }
}
