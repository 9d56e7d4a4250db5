using Meshwork.Proxy.Capture;

namespace Meshwork.Proxy.Tests.Capture;

public sealed class OriginalDestinationTests
{
    /// <summary>struct sockaddr_in as getsockopt(SO_ORIGINAL_DST) fills it on a little-endian host.</summary>
    private static byte[] SockaddrIn(ushort family, int port, byte a, byte b, byte c, byte d) =>
        [(byte)family, (byte)(family >> 8), (byte)(port >> 8), (byte)port, a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0];

    [Fact]
    public void Reads_the_port_and_address_in_network_order()
    {
        Assert.True(OriginalDestination.TryParse(SockaddrIn(2, 8000, 10, 254, 0, 10), out var destination));
        Assert.Equal(8000, destination.Port);
        Assert.Equal("10.254.0.10:8000", destination.ToString());
        Assert.Equal("10.254.0.10", destination.ToAddress().ToString());
    }

    [Fact]
    public void Refuses_another_family_a_short_buffer_and_port_zero()
    {
        Assert.False(OriginalDestination.TryParse(SockaddrIn(10, 8000, 10, 0, 0, 1), out _));
        Assert.False(OriginalDestination.TryParse(SockaddrIn(2, 8000, 10, 0, 0, 1).AsSpan(0, 6), out _));
        Assert.False(OriginalDestination.TryParse(SockaddrIn(2, 0, 10, 0, 0, 1), out _));
    }

    [Fact]
    public void A_connection_that_was_not_redirected_has_no_original_destination_other_than_its_own()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect((System.Net.IPEndPoint)listener.LocalEndpoint);
        using var accepted = listener.AcceptSocket();
        // Without conntrack there is no entry (false); with it, the original destination is the listener itself.
        if (OriginalDestination.TryRead(accepted, out var destination))
            Assert.True(Ipv4EndPoint.Matches(destination, accepted.LocalEndPoint), destination.ToString());
    }
}
