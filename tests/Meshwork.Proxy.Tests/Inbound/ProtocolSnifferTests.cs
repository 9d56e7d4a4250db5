using Meshwork.Proxy.Inbound.Sniffing;

namespace Meshwork.Proxy.Tests.Inbound;

/// <summary>The sniffer fed in fragments, as bytes arrive off the wire.</summary>
public sealed class ProtocolSnifferTests
{
    private static readonly byte[] ClientHelloHead = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];

    [Fact]
    public void A_ClientHello_is_recognised_only_once_six_bytes_arrived()
    {
        for (var n = 0; n < 6; n++)
            Assert.Equal(SniffResult.NeedMore, ProtocolSniffer.Sniff(ClientHelloHead.AsSpan(0, n)));
        Assert.Equal(SniffResult.Tls, ProtocolSniffer.Sniff(ClientHelloHead.AsSpan(0, 6)));
        Assert.Equal(SniffResult.Tls, ProtocolSniffer.Sniff(ClientHelloHead));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n")]
    [InlineData("\u0016x")]
    public void Plaintext_is_recognised_from_the_first_byte_that_cannot_be_TLS(string text)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(text);
        Assert.Equal(SniffResult.Plaintext, ProtocolSniffer.Sniff(bytes));
    }

    [Fact]
    public void A_TLS_record_that_is_not_a_ClientHello_is_not_TLS_to_a_server()
    {
        byte[] serverHello = [0x16, 0x03, 0x03, 0x00, 0x40, 0x02];
        Assert.Equal(SniffResult.Plaintext, ProtocolSniffer.Sniff(serverHello));
    }

    [Fact]
    public async Task Peeking_leaves_every_byte_for_the_next_reader()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(ClientHelloHead.AsMemory(0, 3));
        var peek = ProtocolSniffer.PeekAsync(pipe.Reader, TimeSpan.FromSeconds(30), CancellationToken.None);
        await pipe.Writer.WriteAsync(ClientHelloHead.AsMemory(3));
        Assert.Equal(SniffResult.Tls, await peek);
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(ClientHelloHead, System.Buffers.BuffersExtensions.ToArray(read.Buffer));
    }

    [Fact]
    public async Task A_silent_client_times_out_to_null()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        Assert.Null(await ProtocolSniffer.PeekAsync(pipe.Reader, TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }
}
