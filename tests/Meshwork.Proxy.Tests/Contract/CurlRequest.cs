using System.Globalization;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>A contract request sent with the real curl, as an app in the mesh sends it.</summary>
public static class CurlRequest
{
    public static Task<ContractResponse> SendAsync(ContractRequest request, string url, params string[] curlArgs) =>
        SendAsync([], request, url, curlArgs);

    /// <summary>As <see cref="SendAsync(ContractRequest, string, string[])"/>, curl started through <paramref name="launcher"/> (an app in a pod).</summary>
    public static async Task<ContractResponse> SendAsync(IReadOnlyList<string> launcher, ContractRequest request, string url, params string[] curlArgs)
    {
        var headFile = Path.GetTempFileName();
        try
        {
            if (launcher.Count > 0) Curl.WritableByAnyone(headFile);
            var args = new List<string>(curlArgs) { "-D", headFile };
            foreach (var (name, value) in request.Headers) args.AddRange(["-H", $"{name}: {value}"]);
            args.Add(url);
            var result = await Curl.RunAsync(launcher, true, [.. args]);
            var status = int.Parse(result.HttpCode, CultureInfo.InvariantCulture);
            return status == 0
                ? new ContractResponse(0, $"curl exit {result.ExitCode}: {result.Stderr}")
                : new ContractResponse(status, result.Body) { Head = await File.ReadAllTextAsync(headFile) };
        }
        finally { File.Delete(headFile); }
    }

    /// <summary>
    /// <paramref name="count"/> requests in one curl run on one kept-alive connection, through curl's URL globbing
    /// (<c>?n=[1-count]</c>): the apps count them by path. Fails the test when curl does not finish them all.
    /// </summary>
    public static Task SendManyAsync(ContractRequest request, int count, string url, params string[] curlArgs) =>
        SendManyAsync([], request, count, url, curlArgs);

    /// <summary>As <see cref="SendManyAsync(ContractRequest, int, string, string[])"/>, curl started through <paramref name="launcher"/> (an app in a pod).</summary>
    public static async Task SendManyAsync(IReadOnlyList<string> launcher, ContractRequest request, int count, string url, params string[] curlArgs)
    {
        var args = new List<string>(curlArgs);
        foreach (var (name, value) in request.Headers) args.AddRange(["-H", $"{name}: {value}"]);
        args.Add($"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}n=[1-{count}]");
        var result = await Curl.RunAsync(launcher, false, ["-o", "/dev/null", .. args]);
        Assert.True(result.ExitCode == 0, $"curl exit {result.ExitCode}: {result.Stderr}");
    }
}
