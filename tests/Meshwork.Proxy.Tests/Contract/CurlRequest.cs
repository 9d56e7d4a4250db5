using System.Globalization;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>A contract request sent with the real curl, as an app in the mesh sends it.</summary>
public static class CurlRequest
{
    public static async Task<ContractResponse> SendAsync(ContractRequest request, string url, params string[] curlArgs)
    {
        var args = new List<string>(curlArgs);
        foreach (var (name, value) in request.Headers) args.AddRange(["-H", $"{name}: {value}"]);
        args.Add(url);
        var result = await Curl.RunAsync([.. args]);
        var status = int.Parse(result.HttpCode, CultureInfo.InvariantCulture);
        return status == 0 ? new ContractResponse(0, $"curl exit {result.ExitCode}: {result.Stderr}") : new ContractResponse(status, result.Body);
    }
}
