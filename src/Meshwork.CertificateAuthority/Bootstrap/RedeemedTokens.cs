using System.Globalization;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>
/// The ids of bootstrap tokens already exchanged for a certificate, each kept until its token expires: what
/// makes a token one-time. Kept in a file of the state directory (mode 0600, one "expiry id" line per token),
/// so a token redeemed before a control-plane restart stays redeemed after it. The file is this replica's own:
/// it lives beside, not in, the CA directory that replicas share.
/// </summary>
/// <remarks>
/// One-time is Meshwork's choice (Istio accepts reusable, expiring service-account JWTs): a token read from a
/// pod's directory or a log is worth nothing once its proxy started. The set is bounded; when it is full of
/// unexpired ids a new redemption is refused (fail closed) rather than an old id forgotten.
/// </remarks>
internal sealed class RedeemedTokens
{
    public const string FileName = "bootstrap-tokens.redeemed";
    public const int Capacity = 100_000;
    public const string AlreadyUsed = "the bootstrap token was already used: tokens are one-time (the runtime writes a fresh one for every proxy start); ask for a new token";

    private readonly Dictionary<string, long> _expiries = new(StringComparer.Ordinal);
    private readonly string? _path;
    private readonly object _gate = new();

    private RedeemedTokens(string? path) => _path = path;

    /// <summary>An in-memory set (a control plane that keeps no state).</summary>
    public static RedeemedTokens InMemory() => new(null);

    /// <summary>Reads the ids still unexpired at <paramref name="now"/> from <paramref name="path"/> and rewrites the file with those only.</summary>
    public static RedeemedTokens Load(string path, DateTimeOffset now)
    {
        var set = new RedeemedTokens(path);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                // A torn last line (a crash mid-append) is skipped; its token was not answered with a certificate.
                if (space <= 0 || !long.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) continue;
                var id = line[(space + 1)..].Trim();
                if (id.Length > 0 && expires > now.ToUnixTimeSeconds() && set._expiries.Count < Capacity) set._expiries[id] = expires;
            }
        }
        AtomicFile.WriteAllText(path, string.Concat(set._expiries.Select(e => Line(e.Key, e.Value))), AtomicFile.Private);
        return set;
    }

    /// <summary>Whether token <paramref name="id"/> was redeemed (and has not expired since).</summary>
    public bool IsRedeemed(string id, DateTimeOffset now)
    {
        lock (_gate) return _expiries.TryGetValue(id, out var expires) && expires > now.ToUnixTimeSeconds();
    }

    /// <summary>Records token <paramref name="id"/> (expiring at <paramref name="expiresAt"/>, Unix seconds) as used; false with the reason when it was already, or when the set is full.</summary>
    public bool TryRedeem(string id, long expiresAt, DateTimeOffset now, out string? refusal)
    {
        lock (_gate)
        {
            if (IsRedeemed(id, now))
            {
                refusal = AlreadyUsed;
                return false;
            }
            if (_expiries.Count >= Capacity) Prune(now);
            if (_expiries.Count >= Capacity)
            {
                refusal = $"more than {Capacity} bootstrap tokens were redeemed within their lifetime; refusing until some expire";
                return false;
            }
            // On disk before the answer: a certificate is never issued for a redemption a restart could forget.
            if (_path is not null) File.AppendAllText(_path, Line(id, expiresAt));
            _expiries[id] = expiresAt;
            refusal = null;
            return true;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        foreach (var (id, expires) in _expiries.ToArray())
        {
            if (expires <= seconds) _expiries.Remove(id);
        }
    }

    private static string Line(string id, long expiresAt) => string.Create(CultureInfo.InvariantCulture, $"{expiresAt} {id}\n");
}
