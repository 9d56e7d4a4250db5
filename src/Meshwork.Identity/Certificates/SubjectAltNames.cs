using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>
/// Reads and writes the subjectAltName extension (RFC 5280 §4.2.1.6). URIs are written byte for byte
/// as given (no <see cref="Uri"/> normalisation), because SPIFFE IDs are compared as exact strings.
/// </summary>
public static class SubjectAltNames
{
    public const string Oid = "2.5.29.17";

    // GeneralName CHOICE tags (context-specific, implicit).
    private static readonly Asn1Tag DnsTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);
    private static readonly Asn1Tag IpTag = new(TagClass.ContextSpecific, 7);

    /// <summary>
    /// Builds the extension. Istio marks it critical when the subject is empty, as RFC 5280 requires.
    /// </summary>
    public static X509Extension Build(IEnumerable<string> uris, IEnumerable<string>? dnsNames = null, IEnumerable<IPAddress>? addresses = null, bool critical = true)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var dns in dnsNames ?? [])
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, DnsTag);
            foreach (var address in addresses ?? [])
                writer.WriteOctetString(address.GetAddressBytes(), IpTag);
            foreach (var uri in uris)
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, UriTag);
        }
        return new X509Extension(Oid, writer.Encode(), critical);
    }

    /// <summary>All URI SANs of <paramref name="certificate"/>, in order.</summary>
    public static IReadOnlyList<string> GetUris(X509Certificate2 certificate) => Read(certificate, UriTag);

    /// <summary>All DNS SANs of <paramref name="certificate"/>, in order.</summary>
    public static IReadOnlyList<string> GetDnsNames(X509Certificate2 certificate) => Read(certificate, DnsTag);

    private static List<string> Read(X509Certificate2 certificate, Asn1Tag wanted)
    {
        var result = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != Oid) continue;
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(wanted))
                    result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, wanted));
                else
                    names.ReadEncodedValue();
            }
        }
        return result;
    }
}
