using Meshwork.Samples.Apps;

namespace Meshwork.Samples;

/// <summary>Entry point of `meshwork sample &lt;app&gt;`: the tutorials' workloads as small local apps.</summary>
public static class SampleProgram
{
    public static readonly IReadOnlyList<string> Apps = ["httpbin", "customers", "web-frontend"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !Apps.Contains(args[0]))
        {
            await Console.Error.WriteLineAsync($"usage: meshwork sample <{string.Join('|', Apps)}>");
            return 2;
        }
        var listen = SampleListen.FromEnvironment();
        return args[0] switch
        {
            "httpbin" => await HttpBinApp.RunAsync(listen),
            "customers" => await CustomersApp.RunAsync(listen),
            _ => await WebFrontendApp.RunAsync(listen),
        };
    }
}
