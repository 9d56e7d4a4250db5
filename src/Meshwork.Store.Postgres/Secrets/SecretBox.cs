using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Store.Postgres.Secrets;

/// <summary>One value sealed by <see cref="SecretBox"/>: what the mesh_secrets table holds.</summary>
public sealed record SealedSecret(string KeyId, byte[] Nonce, byte[] Ciphertext, byte[] Tag);

/// <summary>
/// AES-256-GCM (NIST SP 800-38D) with the operator's key: a fresh 96-bit random nonce per value, a
/// 128-bit tag, and the secret's name as associated data. The key id is a hash prefix of the key,
/// so a replica given another key is told so instead of failing on a tag.
/// </summary>
public sealed class SecretBox
{
    public const int KeyBytes = 32;
    private readonly byte[] _key;

    private SecretBox(byte[] key)
    {
        _key = key;
        KeyId = Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
    }

    public string KeyId { get; }

    /// <summary>
    /// Reads the key from <paramref name="path"/>: 32 bytes as base64 or hex text (what
    /// <c>openssl rand -base64 32</c> or <c>-hex 32</c> prints), or the 32 raw bytes.
    /// </summary>
    public static SecretBox FromKeyFile(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read the CA key file {path}: {e.Message}", e);
        }
        return new SecretBox(ParseKey(content) ?? throw new InvalidOperationException(
            $"the CA key file {path} does not hold a 256-bit key: give 32 bytes, or their base64 or hex (openssl rand -base64 32 > {Path.GetFileName(path)})"));
    }

    public static SecretBox FromKey(byte[] key) =>
        key.Length == KeyBytes ? new SecretBox([.. key]) : throw new ArgumentException($"the key must be {KeyBytes} bytes", nameof(key));

    public SealedSecret Seal(string name, ReadOnlySpan<byte> plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using var aes = new AesGcm(_key, tag.Length);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes(name));
        return new SealedSecret(KeyId, nonce, ciphertext, tag);
    }

    /// <summary>The plaintext; throws InvalidOperationException naming the problem (another key, or a value that was altered).</summary>
    public byte[] Open(string name, SealedSecret value)
    {
        if (value.KeyId != KeyId)
        {
            throw new InvalidOperationException(
                $"the mesh's secret {name} in the store was sealed with another CA key (key id {value.KeyId}; the given key's id is {KeyId}): give every replica the same --ca-key-file");
        }
        var plaintext = new byte[value.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(_key, value.Tag.Length);
            aes.Decrypt(value.Nonce, value.Ciphertext, value.Tag, plaintext, Encoding.UTF8.GetBytes(name));
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"the mesh's secret {name} in the store does not decrypt: it was altered", e);
        }
        return plaintext;
    }

    private static byte[]? ParseKey(byte[] content)
    {
        if (content.Length == KeyBytes) return content;
        var text = Encoding.ASCII.GetString(content).Trim();
        if (text.Length == KeyBytes * 2 && text.All(Uri.IsHexDigit)) return Convert.FromHexString(text);
        var buffer = new byte[KeyBytes + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) && written == KeyBytes ? buffer[..KeyBytes] : null;
    }
}
