namespace Meshwork.ControlPlane.Tests.Push;

/// <summary>A generous safety net so that a broken test fails instead of hanging the run; never a timing assertion.</summary>
internal static class Guard
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static CancellationToken Token => new CancellationTokenSource(Limit).Token;
}
