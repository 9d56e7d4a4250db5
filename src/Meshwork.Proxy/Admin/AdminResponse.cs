namespace Meshwork.Proxy.Admin;

/// <summary>What an admin endpoint answers: a whole body, small enough to build in memory.</summary>
internal readonly record struct AdminResponse(int Status, string ContentType, string Body)
{
    public static AdminResponse Text(int status, string body) => new(status, "text/plain", body);

    public static AdminResponse Json(string body) => new(200, "application/json", body);
}
