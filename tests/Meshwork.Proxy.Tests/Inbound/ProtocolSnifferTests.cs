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
    public async Task Sniffing_replays_every_byte_for_the_next_reader_however_the_bytes_arrive()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        await pipe.Writer.WriteAsync(ClientHelloHead.AsMemory(0, 3));
        var sniff = FirstBytes.ReadAsync(pipe.Reader.AsStream(), TimeSpan.FromSeconds(30), CancellationToken.None);
        await pipe.Writer.WriteAsync(ClientHelloHead.AsMemory(3));
        await pipe.Writer.CompleteAsync();
        using var first = await sniff;
        Assert.Equal(SniffResult.Tls, first.Kind);
        using var all = new MemoryStream();
        await first.Stream.CopyToAsync(all);
        Assert.Equal(ClientHelloHead, all.ToArray());
    }

    [Fact]
    public async Task A_silent_client_times_out_to_null()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        using var first = await FirstBytes.ReadAsync(pipe.Reader.AsStream(), TimeSpan.FromMilliseconds(50), CancellationToken.None);
        Assert.Null(first.Kind);
    }

    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", false)]
    [InlineData("PRI * HTTP/1.1\r\nHost: a\r\n\r\n", false)]
    public async Task The_HTTP2_preface_is_told_apart_byte_by_byte_and_replayed(string opening, bool http2)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(opening);
        var pipe = new System.IO.Pipelines.Pipe();
        var stream = pipe.Reader.AsStream();
        var writing = Task.Run(async () =>
        {
            foreach (var b in bytes) { await pipe.Writer.WriteAsync(new[] { b }); await Task.Yield(); }
            await pipe.Writer.CompleteAsync();
        });
        using var first = await FirstBytes.ReadAsync(stream, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(SniffResult.Plaintext, first.Kind);
        Assert.Equal(http2, await first.IsHttp2PrefaceAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        await writing;
        using var all = new MemoryStream();
        await first.Stream.CopyToAsync(all);
        Assert.Equal(bytes, all.ToArray());
    }
}
