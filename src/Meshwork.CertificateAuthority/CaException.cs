namespace Meshwork.CertificateAuthority;

/// <summary>A refusal by the CA, with a kind to map to a status and a message a user can act on.</summary>
public sealed class CaException(CaErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public CaErrorKind Kind { get; } = kind;

    public override string ToString() => $"{Kind}: {Message}";
}
