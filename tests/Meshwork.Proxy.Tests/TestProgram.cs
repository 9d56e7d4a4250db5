namespace Meshwork.Proxy.Tests;

/// <summary>
/// The test assembly's entry point: the pod-network tests run a proxy inside a network namespace, which takes a
/// process of its own (<c>ip netns exec NS dotnet Meshwork.Proxy.Tests.dll proxy</c>); the test runner never calls it.
/// </summary>
public static class TestProgram
{
    public static Task<int> Main(string[] args) => args is ["proxy", .. var rest]
        ? ProxyProgram.RunAsync(rest)
        : Task.FromResult(Usage());

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Meshwork.Proxy.Tests proxy [proxy flags]  (the proxy, for tests that run it in a network namespace)");
        return 2;
    }
}
