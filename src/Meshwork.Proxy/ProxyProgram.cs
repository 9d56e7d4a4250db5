namespace Meshwork.Proxy;

/// <summary>Entry point of `meshwork proxy`.</summary>
public static class ProxyProgram
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("meshwork proxy: not built yet");
        return Task.FromResult(2);
    }
}
