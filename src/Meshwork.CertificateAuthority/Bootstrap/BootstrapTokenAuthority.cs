using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>
/// Short-lived signed tokens bound to one namespace + service account, handed by the runtime to
/// the proxies it launches. A token from another control plane, an expired one, or a tampered one is refused.
/// </summary>
/// <remarks>
/// <para>Format: <c>mwb1.&lt;payload&gt;.&lt;mac&gt;</c>, both parts base64url. The payload is JSON with the key
/// id of the issuing control plane, namespace, service account, issue and expiry times (Unix seconds) and a
/// random id. The MAC is HMAC-SHA256 over <c>mwb1.&lt;payload&gt;</c> with a 256-bit key kept in the state
/// directory (mode 0600); that key is what binds a token to one control plane.</para>
/// <para>Tokens live <see cref="DefaultLifetime"/> (10 minutes) unless the issuer asks otherwise, up to
/// <see cref="MaxLifetime"/>: long enough for a proxy to start and send its first CSR, short enough that a
/// leaked token is soon useless. Renewals then authenticate with the workload certificate itself. A token buys
/// one certificate (<see cref="RedeemAsync"/>): the runtime writes a fresh one for every proxy start, and again when a
/// proxy's certificate expired while the control plane was away.</para>
/// <para>The token proves an identity; the caller must pass exactly that identity to
/// <see cref="CertificateAuthority.Sign"/>, so a token for ns/foo/sa/sleep can never yield ns/foo/sa/httpbin.</para>
/// </remarks>
public sealed partial class BootstrapTokenAuthority
{
    public const string KeyFile = "bootstrap-token.key";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    private const string Prefix = "mwb1.";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    private readonly byte[] _key;
    private readonly string _keyId;
    private readonly TimeProvider _time;
    private readonly RedeemedTokens _redeemed;
    private readonly IRedeemedTokenLedger _ledger;

    private BootstrapTokenAuthority(byte[] key, TimeProvider time, IRedeemedTokenLedger? ledger)
    {
        _key = key;
        _redeemed = new RedeemedTokens(time);
        _ledger = ledger ?? _redeemed;
        _keyId = Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
        _time = time;
    }

    /// <summary>Short id of this control plane's token key, safe to show (it is a hash prefix).</summary>
    public string KeyId => _keyId;

    /// <summary>
    /// Loads the signing key from <paramref name="stateDirectory"/>, creating it (0600) on first start. Redeemed
    /// tokens are recorded in <paramref name="ledger"/> (the store); without one, only in this process.
    /// </summary>
    public static BootstrapTokenAuthority LoadOrCreate(string stateDirectory, TimeProvider? time = null, IRedeemedTokenLedger? ledger = null)
    {
        var directory = CaFiles.SelfSignedDirectory(stateDirectory);
        var path = Path.Combine(directory, KeyFile);
        byte[] key;
        if (File.Exists(path))
        {
            try
            {
                key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            }
            catch (FormatException e)
            {
                throw new CaException(CaErrorKind.BadCaConfiguration, $"{path} is not a bootstrap token key; delete it to create a new one (outstanding tokens become invalid)", e);
            }
            if (key.Length < 32)
                throw new CaException(CaErrorKind.BadCaConfiguration, $"{path} holds a key of {key.Length} bytes; at least 32 are required. Delete it to create a new one");
        }
        else
        {
            Directory.CreateDirectory(directory);
            key = RandomNumberGenerator.GetBytes(32);
            AtomicFile.WriteAllText(path, Convert.ToBase64String(key) + "\n", AtomicFile.Private);
        }
        return new BootstrapTokenAuthority(key, time ?? TimeProvider.System, ledger);
    }

    /// <summary>An authority with a fresh in-memory key (tests; a control plane that keeps no state).</summary>
    public static BootstrapTokenAuthority CreateEphemeral(TimeProvider? time = null) =>
        new(RandomNumberGenerator.GetBytes(32), time ?? TimeProvider.System, null);

    public (string Token, DateTimeOffset ExpiresAt) Issue(string @namespace, string serviceAccount, TimeSpan? lifetime = null)
    {
        if (!NamespacePattern().IsMatch(@namespace))
            throw new ArgumentException($"'{@namespace}' is not a valid namespace name (lowercase letters, digits and '-', at most 63)", nameof(@namespace));
        if (!ServiceAccountPattern().IsMatch(serviceAccount))
            throw new ArgumentException($"'{serviceAccount}' is not a valid service account name (lowercase letters, digits, '-' and '.', at most 253)", nameof(serviceAccount));
        var life = lifetime ?? DefaultLifetime;
        if (life <= TimeSpan.Zero || life > MaxLifetime)
            throw new ArgumentOutOfRangeException(nameof(lifetime), life, $"a bootstrap token lives more than zero and at most {MaxLifetime}");

        var now = _time.GetUtcNow();
        // Whole seconds, so that ExpiresAt is exactly what Validate will compare against.
        var issuedAt = now.ToUnixTimeSeconds();
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(issuedAt + (long)Math.Ceiling(life.TotalSeconds));

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kid", _keyId);
            json.WriteString("ns", @namespace);
            json.WriteString("sa", serviceAccount);
            json.WriteNumber("iat", issuedAt);
            json.WriteNumber("exp", expiresAt.ToUnixTimeSeconds());
            json.WriteString("jti", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
            json.WriteEndObject();
        }
        var signedPart = Prefix + Base64Url.EncodeToString(buffer.ToArray());
        return (signedPart + "." + Base64Url.EncodeToString(Mac(signedPart)), expiresAt);
    }

    /// <summary>Returns the (namespace, service account) the token proves (a token already redeemed proves nothing); throws CaException(NotAuthenticated) otherwise.</summary>
    public (string Namespace, string ServiceAccount) Validate(string token)
    {
        var payload = Check(token);
        return (payload.Namespace, payload.ServiceAccount);
    }

    /// <summary>
    /// Validates the token and marks it used in the ledger, once: a second redemption of the same token (a replay,
    /// or a token read from where a proxy found it) throws CaException(NotAuthenticated), on any replica of the
    /// ledger's store, before or after a restart. A ledger that cannot answer refuses (CaNotReady): fail closed.
    /// </summary>
    public async Task<(string Namespace, string ServiceAccount)> RedeemAsync(string token, CancellationToken cancellationToken = default)
    {
        var payload = Check(token);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        bool first;
        try
        {
            first = await _ledger.TryRedeemAsync(payload.TokenId, expiresAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new CaException(CaErrorKind.CaNotReady, $"the use of the bootstrap token cannot be recorded, so it is not accepted now: {e.Message}", e);
        }
        // Remembered here too, so that this replica refuses it early next time.
        _redeemed.TryRedeem(payload.TokenId, payload.ExpiresAt, _time.GetUtcNow(), out _);
        if (!first) throw Refuse(RedeemedTokens.AlreadyUsed);
        return (payload.Namespace, payload.ServiceAccount);
    }

    private Payload Check(string token)
    {
        // Messages never repeat the token: it is a credential.
        if (string.IsNullOrEmpty(token) || !token.StartsWith(Prefix, StringComparison.Ordinal))
            throw Refuse("the bootstrap token is missing or not a Meshwork bootstrap token");
        var dot = token.LastIndexOf('.');
        if (dot <= Prefix.Length)
            throw Refuse("the bootstrap token is malformed");
        var signedPart = token[..dot];

        Payload payload;
        byte[] mac;
        try
        {
            mac = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            payload = Payload.Parse(Base64Url.DecodeFromChars(signedPart.AsSpan(Prefix.Length)));
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Refuse("the bootstrap token is malformed");
        }

        if (!string.Equals(payload.KeyId, _keyId, StringComparison.Ordinal))
            throw Refuse($"the bootstrap token was issued by another control plane (key {payload.KeyId}, this one is {_keyId}); ask this control plane for a token");
        if (!CryptographicOperations.FixedTimeEquals(mac, Mac(signedPart)))
            throw Refuse("the bootstrap token's signature does not verify: it was altered or forged");

        var now = _time.GetUtcNow();
        var expires = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (now >= expires)
            throw Refuse($"the bootstrap token expired at {expires:u} (now {now.UtcDateTime:u}); ask for a new token");
        if (DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt) > now + ClockSkew)
            throw Refuse("the bootstrap token was issued in the future; check this host's clock");
        // A used token proves nothing any more: refused here, before any rate limit counts it as its identity's.
        if (_redeemed.IsRedeemed(payload.TokenId, now)) throw Refuse(RedeemedTokens.AlreadyUsed);
        return payload;
    }

    /// <summary>Validates the token and returns the SPIFFE identity it proves in <paramref name="trustDomain"/>.</summary>
    public SpiffeId ValidateIdentity(string token, string trustDomain)
    {
        var (ns, sa) = Validate(token);
        return new SpiffeId(trustDomain, ns, sa);
    }

    private byte[] Mac(string signedPart) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signedPart));

    private static CaException Refuse(string message) => new(CaErrorKind.NotAuthenticated, message);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex ServiceAccountPattern();

    private sealed record Payload(string KeyId, string Namespace, string ServiceAccount, long IssuedAt, long ExpiresAt, string TokenId)
    {
        public static Payload Parse(byte[] json)
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new Payload(
                root.GetProperty("kid").GetString() ?? throw new FormatException(),
                root.GetProperty("ns").GetString() ?? throw new FormatException(),
                root.GetProperty("sa").GetString() ?? throw new FormatException(),
                root.GetProperty("iat").GetInt64(),
                root.GetProperty("exp").GetInt64(),
                root.GetProperty("jti").GetString() is { Length: > 0 } id ? id : throw new FormatException());
        }
    }
}
