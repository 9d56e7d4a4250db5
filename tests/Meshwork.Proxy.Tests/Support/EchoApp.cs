using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>
/// A tiny upstream app on 127.0.0.1:0, like httpbin: /headers echoes the request headers, /ip the
/// caller, /bytes/{n} streams n bytes, /status/{code} answers that status, /upload counts the body it received, /name says which app answered.
/// Every request is counted by path, so a test can tell how often a request reached the app.
/// </summary>
public sealed class EchoApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests;
    public string Name { get; }
    public IPAddress Address { get; }
    public int Port { get; }

    private EchoApp(WebApplication app, ConcurrentDictionary<string, int> requests, string name, IPAddress address, int port) { _app = app; _requests = requests; Name = name; Address = address; Port = port; }

    /// <summary>How many requests for <paramref name="path"/> reached the app (counted before it answers).</summary>
    public int Requests(string path) => _requests.TryGetValue(path, out var n) ? n : 0;

    /// <summary>Starts the app on <paramref name="address"/> (127.0.0.1 unless given) at a port of the kernel's choosing.</summary>
    public static async Task<EchoApp> StartAsync(string name = "httpbin", IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(address, 0, l => l.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        var requests = new ConcurrentDictionary<string, int>();
        app.Use((c, next) =>
        {
            requests.AddOrUpdate(c.Request.Path.Value ?? "", 1, static (_, n) => n + 1);
            return next(c);
        });
        app.MapGet("/headers", (HttpContext c) =>
        {
            var headers = c.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            return Results.Text(JsonSerializer.Serialize(new Dictionary<string, object> { ["headers"] = headers, ["app"] = name }), "application/json");
        });
        // httpbin's /response-headers: each query parameter comes back as a response field.
        app.MapGet("/response-headers", (HttpContext c) =>
        {
            foreach (var (key, value) in c.Request.Query) c.Response.Headers.Append(key, value);
            return Results.Text(name);
        });
        app.MapGet("/ip", (HttpContext c) => Results.Text($"{{\"origin\": \"{c.Connection.RemoteIpAddress}\"}}\n", "application/json"));
        // httpbin's /status/{code}: answers that status, with the app's name as the body.
        app.MapGet("/status/{code:int}", (int code) => Results.Text(name, statusCode: code));
        app.MapGet("/name", () => Results.Text(name));
        app.MapGet("/split", () => Results.Text(name));
        app.MapGet("/vistio", () => Results.Text(name));
        app.MapGet("/delay/{ms:int}", async (HttpContext c, int ms) =>
        {
            await Task.Delay(Math.Min(ms, 60_000), c.RequestAborted);
            return Results.Text(name);
        });
        app.MapGet("/bytes/{n:long}", async (HttpContext c, long n) =>
        {
            c.Response.ContentType = "application/octet-stream";
            c.Response.ContentLength = n;
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            for (long sent = 0; sent < n;)
            {
                var size = (int)Math.Min(chunk.Length, n - sent);
                await c.Response.Body.WriteAsync(chunk.AsMemory(0, size), c.RequestAborted);
                sent += size;
            }
        });
        app.MapPost("/upload", async (HttpContext c) =>
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await c.Request.Body.ReadAsync(buffer, c.RequestAborted)) > 0) total += read;
            return Results.Text(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new EchoApp(app, requests, name, address, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
