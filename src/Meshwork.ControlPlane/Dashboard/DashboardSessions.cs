using System.Security.Cryptography;

namespace Meshwork.ControlPlane.Dashboard;

/// <summary>
/// The dashboard's credentials: one-time login codes (issued to the admin, exchanged once for a
/// session within <see cref="CodeLifetime"/>) and the browser sessions they open. Both are random
/// 256-bit values, kept only in memory and bounded in number (the oldest goes first), so a restart
/// logs every browser out.
/// </summary>
public sealed class DashboardSessions(TimeProvider time)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);
    private const int MaxOutstanding = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _sessions = new(StringComparer.Ordinal);

    public string IssueCode() => Add(_codes, CodeLifetime);

    /// <summary>Consumes <paramref name="code"/> and returns a new session id, or null when the code is unknown, used or expired.</summary>
    public string? Redeem(string? code)
    {
        if (string.IsNullOrEmpty(code)) return null;
        lock (_gate)
        {
            if (!_codes.Remove(code, out var expires) || expires <= time.GetUtcNow()) return null;
        }
        return Add(_sessions, SessionLifetime);
    }

    public bool IsValidSession(string? session)
    {
        if (string.IsNullOrEmpty(session)) return false;
        lock (_gate) return _sessions.TryGetValue(session, out var expires) && expires > time.GetUtcNow();
    }

    private string Add(Dictionary<string, DateTimeOffset> table, TimeSpan lifetime)
    {
        var value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var (key, expires) in table.Where(kv => kv.Value <= now).ToList()) table.Remove(key);
            while (table.Count >= MaxOutstanding) table.Remove(table.MinBy(kv => kv.Value).Key);
            table[value] = now + lifetime;
        }
        return value;
    }
}
