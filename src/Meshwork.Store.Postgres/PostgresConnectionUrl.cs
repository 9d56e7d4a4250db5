using System.Globalization;
using Npgsql;

namespace Meshwork.Store.Postgres;

/// <summary>
/// The store address an operator gives (<c>--store</c>, MESHWORK_STORE), in libpq's URL form:
/// <c>postgres://user[:password]@host[:port]/database[?sslmode=...]</c>. Parsed strictly: anything
/// this parser does not know is refused rather than silently dropped. Without a password in the
/// URL, PGPASSWORD or ~/.pgpass supply it, as for psql.
/// </summary>
public static class PostgresConnectionUrl
{
    private static readonly Dictionary<string, SslMode> SslModes = new(StringComparer.Ordinal)
    {
        ["disable"] = SslMode.Disable,
        ["allow"] = SslMode.Allow,
        ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require,
        ["verify-ca"] = SslMode.VerifyCA,
        ["verify-full"] = SslMode.VerifyFull,
    };

    /// <summary>Whether <paramref name="value"/> names a PostgreSQL store at all (as opposed to another backend).</summary>
    public static bool IsPostgres(string value) =>
        value.StartsWith("postgres://", StringComparison.Ordinal) || value.StartsWith("postgresql://", StringComparison.Ordinal);

    /// <summary>An Npgsql connection string; throws FormatException naming what is wrong.</summary>
    public static string ToConnectionString(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!IsPostgres(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new FormatException("the store must be a URL such as postgres://meshwork@db.example:5432/meshwork");
        }
        if (string.IsNullOrEmpty(uri.Host)) throw new FormatException("the store URL names no host");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal)) throw new FormatException("the store URL must name one database: postgres://user@host:port/DATABASE");
        if (uri.Fragment.Length > 0) throw new FormatException("the store URL must not have a #fragment");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            // Bounded waits: a store that does not answer is reported, not waited for forever.
            Timeout = 10,
            CommandTimeout = 30,
            ApplicationName = "meshwork",
        };
        var userInfo = uri.UserInfo;
        if (userInfo.Length == 0) throw new FormatException("the store URL names no user: postgres://USER@host:port/database");
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        builder.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        if (colon >= 0) builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (name)
            {
                case "sslmode" when SslModes.TryGetValue(value, out var mode):
                    builder.SslMode = mode;
                    break;
                case "sslmode":
                    throw new FormatException($"the store URL's sslmode \"{value}\" is not one of {string.Join(", ", SslModes.Keys)}");
                case "connect_timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 300:
                    builder.Timeout = seconds;
                    break;
                default:
                    throw new FormatException($"the store URL's parameter \"{name}\" is not supported (sslmode and connect_timeout are)");
            }
        }
        return builder.ConnectionString;
    }
}
