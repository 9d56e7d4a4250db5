using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Globalization;
using System.Net;

namespace Meshwork.Samples.Apps;

/// <summary>
/// Where a sample listens, as the local runtime tells it: HOST, PORT (first declared port) and
/// PORT_&lt;n&gt; for every declared containerPort n.
/// </summary>
public sealed record SampleListen(IPAddress Host, IReadOnlyList<int> Ports)
{
    public static SampleListen FromEnvironment()
    {
        var hostText = Environment.GetEnvironmentVariable("HOST");
        var host = string.IsNullOrEmpty(hostText) ? IPAddress.Loopback : IPAddress.Parse(hostText);
        var ports = new SortedSet<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            ports.Add(port);
        }
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && key.StartsWith("PORT_", StringComparison.Ordinal)
                && int.TryParse(entry.Value as string, NumberStyles.None, CultureInfo.InvariantCulture, out var extra))
            {
                ports.Add(extra);
            }
        }
        if (ports.Count == 0)
        {
            ports.Add(8080);
        }
        return new SampleListen(host, [.. ports]);
    }

    public WebApplication Build(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var port in Ports)
            {
                kestrel.Listen(Host, port);
            }
        });
        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() =>
            Console.WriteLine($"{name} listening on {string.Join(", ", Ports.Select(p => $"{Host}:{p}"))}"));
        return app;
    }
}
