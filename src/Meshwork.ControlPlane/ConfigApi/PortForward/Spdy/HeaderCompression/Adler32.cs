namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

/// <summary>Adler-32 (RFC 1950, section 8.2): how a zlib stream names its preset dictionary.</summary>
public static class Adler32
{
    private const uint Modulus = 65521;

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var value in data)
        {
            a = (a + value) % Modulus;
            b = (b + a) % Modulus;
        }
        return (b << 16) | a;
    }
}
