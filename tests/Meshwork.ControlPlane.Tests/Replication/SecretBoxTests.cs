using System.Security.Cryptography;
using System.Text;
using Meshwork.Store.Postgres.Secrets;

namespace Meshwork.ControlPlane.Tests.Replication;

public sealed class SecretBoxTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void A_sealed_value_opens_with_the_same_key_and_name_and_does_not_show_the_plaintext()
    {
        var box = SecretBox.FromKey(Key);
        var plaintext = Encoding.UTF8.GetBytes("-----BEGIN PRIVATE KEY-----\nsecret\n");
        var sealedValue = box.Seal("ca/ca-key.pem", plaintext);

        Assert.DoesNotContain("PRIVATE", Encoding.UTF8.GetString(sealedValue.Ciphertext), StringComparison.Ordinal);
        Assert.Equal(plaintext, box.Open("ca/ca-key.pem", sealedValue));
        Assert.NotEqual(sealedValue.Nonce, box.Seal("ca/ca-key.pem", plaintext).Nonce);
    }

    [Fact]
    public void A_value_moved_to_another_name_or_altered_is_refused()
    {
        var box = SecretBox.FromKey(Key);
        var sealedValue = box.Seal("admin-token", "token"u8);

        Assert.Contains("altered", Assert.Throws<InvalidOperationException>(() => box.Open("ca/ca-key.pem", sealedValue)).Message, StringComparison.Ordinal);
        var flipped = sealedValue with { Ciphertext = [.. sealedValue.Ciphertext] };
        flipped.Ciphertext[0] ^= 1;
        Assert.Contains("altered", Assert.Throws<InvalidOperationException>(() => box.Open("admin-token", flipped)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_key_is_named_as_such()
    {
        var sealedValue = SecretBox.FromKey(Key).Seal("admin-token", "token"u8);
        var other = SecretBox.FromKey(RandomNumberGenerator.GetBytes(32));
        Assert.Contains("another CA key", Assert.Throws<InvalidOperationException>(() => other.Open("admin-token", sealedValue)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_file_holds_base64_hex_or_raw_bytes_and_nothing_shorter()
    {
        var directory = Directory.CreateTempSubdirectory("meshwork-key-").FullName;
        try
        {
            var expected = SecretBox.FromKey(Key).KeyId;
            string Write(string name, byte[] content)
            {
                var path = Path.Combine(directory, name);
                File.WriteAllBytes(path, content);
                return path;
            }
            Assert.Equal(expected, SecretBox.FromKeyFile(Write("b64", Encoding.ASCII.GetBytes(Convert.ToBase64String(Key) + "\n"))).KeyId);
            Assert.Equal(expected, SecretBox.FromKeyFile(Write("hex", Encoding.ASCII.GetBytes(Convert.ToHexStringLower(Key)))).KeyId);
            Assert.Equal(expected, SecretBox.FromKeyFile(Write("raw", Key)).KeyId);
            var shortKey = Write("short", Encoding.ASCII.GetBytes(Convert.ToBase64String(Key[..16])));
            Assert.Contains("256-bit", Assert.Throws<InvalidOperationException>(() => SecretBox.FromKeyFile(shortKey)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
