namespace Meshwork.Store.Rows;

/// <summary>
/// The statements of the redeemed_tokens table, the same in SQLite and PostgreSQL (both take <c>@name</c>
/// parameters): forget the rows whose token expired, then insert the token's id; the primary key lets exactly
/// one of two concurrent redemptions of a token insert its row, on whichever replica they arrive.
/// </summary>
public static class RedeemedTokenRows
{
    /// <summary>Parameter @now: Unix seconds.</summary>
    public const string ForgetExpired = "DELETE FROM redeemed_tokens WHERE expires_at <= @now";

    /// <summary>Parameters @id and @expires (Unix seconds); one row affected when the token was not recorded yet.</summary>
    public const string Record = "INSERT INTO redeemed_tokens (id, expires_at) VALUES (@id, @expires) ON CONFLICT (id) DO NOTHING";
}
