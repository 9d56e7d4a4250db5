namespace Meshwork.Proxy.Tests.Support;

/// <summary>Waits for a condition that another thread makes true (a counter the server bumps after the client saw the result).</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }
}
