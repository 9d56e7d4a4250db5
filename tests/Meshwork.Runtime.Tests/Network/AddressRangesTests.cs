using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Tests.Network;

public sealed class AddressRangesTests
{
    private const string Routes = """
        default via 192.0.2.1 dev eth0
        10.244.0.0/17 dev tun0 proto kernel scope link src 10.244.0.5
        192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2
        local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2
        broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2
        local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
        """;

    [Fact]
    public void Routes_are_read_with_their_type_words_and_without_the_default_route()
    {
        var routes = AddressRanges.ParseRoutes(Routes).Select(r => r.ToString()).ToList();
        Assert.Equal(["10.244.0.0/17", "192.0.2.0/24", "192.0.2.2/32", "192.0.2.255/32", "127.0.0.0/8"], routes);
    }

    [Fact]
    public void The_chosen_pod_range_overlaps_no_route_and_no_range_another_mesh_holds()
    {
        var routes = AddressRanges.ParseRoutes(Routes);
        var refused = new List<Ipv4Range>();
        var chosen = AddressRanges.ChoosePodRange(routes, "seed", candidate =>
        {
            // The first free candidate is held by another mesh starting at the same moment.
            if (refused.Count == 0) { refused.Add(candidate); return false; }
            return true;
        });
        Assert.NotNull(chosen);
        Assert.Equal(24, chosen.Value.PrefixLength);
        Assert.True(AddressRanges.PodPool.Overlaps(chosen.Value));
        Assert.DoesNotContain(routes, r => r.Overlaps(chosen.Value));
        Assert.NotEqual(refused[0], chosen.Value);
    }

    [Fact]
    public void No_range_is_chosen_when_the_whole_pool_is_routed()
    {
        Assert.Null(AddressRanges.ChoosePodRange([Ipv4Range.Parse("10.0.0.0/8")], "seed", _ => true));
    }

    [Theory]
    [InlineData("10.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::1/128")]
    [InlineData("")]
    public void Malformed_prefixes_are_not_ranges(string text) => Assert.False(Ipv4Range.TryParse(text, out _));

    [Fact]
    public void Two_meshes_have_different_names_and_different_users()
    {
        var a = MeshNetworkNames.For("/tmp/mesh-a");
        var b = MeshNetworkNames.For("/tmp/mesh-b");
        Assert.NotEqual(a.Bridge, b.Bridge);
        Assert.True(a.Bridge.Length <= 15 && a.HostVeth(254).Length <= 15, "Linux interface names have at most 15 characters");
        var users = PodUsers.For(Ipv4Range.Parse("10.244.7.0/24"), 2);
        var other = PodUsers.For(Ipv4Range.Parse("10.244.8.0/24"), 2);
        Assert.NotEqual(users.AppUid, users.ProxyUid);
        Assert.NotEqual(users.AppUid, other.AppUid);
        Assert.NotEqual(users.ProxyUid, PodUsers.For(Ipv4Range.Parse("10.244.7.0/24"), 3).AppUid);
    }

    [Theory]
    [InlineData(null, true, PodNetworkMode.Namespaces)]
    [InlineData(null, false, PodNetworkMode.Loopback)]
    [InlineData("loopback", true, PodNetworkMode.Loopback)]
    [InlineData("netns", true, PodNetworkMode.Namespaces)]
    public void The_mode_is_namespaces_as_root_unless_asked_otherwise(string? requested, bool root, PodNetworkMode expected) =>
        Assert.Equal(expected, PodNetworkModes.Resolve(requested, root));

    [Fact]
    public void Namespaces_cannot_be_asked_for_without_root() =>
        Assert.Throws<PodNetworkException>(() => PodNetworkModes.Resolve("netns", isRoot: false));
}
