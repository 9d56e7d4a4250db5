using System.Net;
using System.Xml.Linq;

namespace Meshwork.Reliability.Tests.OutsideAuditors;

/// <summary>What sslscan's XML (<c>--xml=-</c>) says of one TLS port: protocols, renegotiation, and every accepted cipher.</summary>
public sealed record SslscanReport(
    IReadOnlyList<string> EnabledProtocols,
    bool RenegotiationSupported,
    bool RenegotiationSecure,
    IReadOnlyList<(string Protocol, string Cipher, int Bits, string Strength)> Ciphers,
    string Xml)
{
    /// <summary>Protocols below TLS 1.2 that the port accepts (SSLv2, SSLv3, TLS 1.0, TLS 1.1): none is allowed.</summary>
    public IEnumerable<string> LegacyProtocols => EnabledProtocols.Where(p => p is "ssl2" or "ssl3" or "tls1.0" or "tls1.1");

    /// <summary>Ciphers sslscan rates below "strong"/"acceptable" (NULL, anonymous, weak, medium) or under 128 bits.</summary>
    public IEnumerable<string> WeakCiphers => Ciphers
        .Where(c => c.Bits < 128 || c.Strength is not ("strong" or "acceptable"))
        .Select(c => $"{c.Protocol} {c.Cipher} ({c.Bits} bits, {c.Strength})");

    public static async Task<SslscanReport> ScanAsync(IPEndPoint target, string? serverName)
    {
        string[] sni = serverName is null ? [] : [$"--sni-name={serverName}"];
        var run = await ToolRun.RunAsync("sslscan", ["--no-colour", "--xml=-", "--connect-timeout=10", .. sni, $"{target.Address}:{target.Port}"], TimeSpan.FromMinutes(3));
        var start = run.Stdout.IndexOf("<?xml", StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException($"sslscan wrote no XML (exit {run.ExitCode}):\n{run.Stdout}\n{run.Stderr}");
        var xml = run.Stdout[start..];
        var test = XDocument.Parse(xml).Root?.Element("ssltest") ?? throw new InvalidOperationException($"sslscan could not test {target}:\n{xml}");
        var protocols = test.Elements("protocol").Where(p => (string?)p.Attribute("enabled") == "1")
            .Select(p => $"{(string?)p.Attribute("type")}{(string?)p.Attribute("version")}").ToList();
        var renegotiation = test.Element("renegotiation");
        var ciphers = test.Elements("cipher").Select(c => (
            (string?)c.Attribute("sslversion") ?? "", (string?)c.Attribute("cipher") ?? "", (int?)c.Attribute("bits") ?? 0, (string?)c.Attribute("strength") ?? "")).ToList();
        return new SslscanReport(protocols, (string?)renegotiation?.Attribute("supported") == "1", (string?)renegotiation?.Attribute("secure") == "1", ciphers, xml);
    }
}
