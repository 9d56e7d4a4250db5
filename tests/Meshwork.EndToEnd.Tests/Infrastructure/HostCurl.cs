using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>curl from this host, as a tutorial's reader runs it against the ingress gateway.</summary>
public static class HostCurl
{
    /// <summary>The status code and the body (status "000" when no HTTP answer came).</summary>
    public static async Task<(string Code, string Body)> CurlAsync(string url, params string[] args)
    {
        var body = Path.GetTempFileName();
        try
        {
            var result = await Mw.RunProcessAsync("curl", ["-s", "-m", "10", "-o", body, "-w", "%{http_code}", .. args, url], TimeSpan.FromSeconds(30));
            return (result.Stdout.Trim(), await File.ReadAllTextAsync(body));
        }
        finally { File.Delete(body); }
    }

    /// <summary>Repeats <see cref="CurlAsync"/> until <paramref name="done"/> holds or 90 seconds pass; the last answer either way.</summary>
    public static async Task<(string Code, string Body)> CurlUntilAsync(Func<(string Code, string Body), bool> done, string url, params string[] args)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var result = await CurlAsync(url, args);
            if (done(result) || DateTime.UtcNow > deadline) return result;
            await Task.Delay(500);
        }
    }
}
