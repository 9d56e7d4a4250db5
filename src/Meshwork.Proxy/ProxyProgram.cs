using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy;

/// <summary>Entry point of `meshwork proxy`: read the environment and flags, start, run until SIGTERM/SIGINT.</summary>
public static class ProxyProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.Out.WriteLine("usage: meshwork proxy [--role sidecar|gateway|network] [--snapshot-file F] [--cert-dir D] [--inbound 8000=127.0.0.1:18000,...] [--outbound-address ip:port] [--admin-address ip:port] [--control-plane https://...] [--control-plane-root F] [--bootstrap-token-file F]");
            Console.Out.WriteLine("The same settings come from MESHWORK_* environment variables (see ProxyEnvironment).");
            return 0;
        }
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = e.Value as string;
        var options = ProxyOptions.FromEnvironment(env, args, out var errors);
        if (errors.Count > 0)
        {
            foreach (var error in errors) Console.Error.WriteLine($"meshwork proxy: {error}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        ProxyHost host;
        try
        {
            host = await ProxyHost.StartAsync(options, cancellationToken: stop.Token, ownsProcess: true);
        }
        catch (ProxyStartupException e)
        {
            Console.Error.WriteLine($"meshwork proxy: {e.Message}");
            return 1;
        }
        await using (host)
        {
            try { await Task.Delay(Timeout.Infinite, stop.Token); }
            catch (OperationCanceledException) { }
        }
        return 0;
    }
}
