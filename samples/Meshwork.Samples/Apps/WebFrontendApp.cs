using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Samples.Apps;

/// <summary>
/// The tutorial's web frontend: a page that calls the customers service through the pod's
/// http_proxy and shows its answer, or the error (ECONNRESET when a STRICT peer resets plaintext).
/// </summary>
public static class WebFrontendApp
{
    public static async Task<int> RunAsync(SampleListen listen)
    {
        var ns = Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "default";
        var target = Environment.GetEnvironmentVariable("CUSTOMER_SERVICE_URL") is { Length: > 0 } url
            ? url
            : $"http://customers.{ns}.svc.cluster.local";
        // HttpClient.DefaultProxy follows http_proxy / no_proxy, as the Node original's agent did.
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = true,
            Proxy = HttpClient.DefaultProxy,
            PooledConnectionLifetime = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        { Timeout = TimeSpan.FromSeconds(10) };

        var app = listen.Build("web-frontend");
        app.MapGet("/", async (HttpContext context) =>
        {
            string body;
            int status;
            try
            {
                using var response = await client.GetAsync(target, context.RequestAborted);
                body = await response.Content.ReadAsStringAsync(context.RequestAborted);
                status = response.IsSuccessStatusCode ? 200 : 502;
                if (!response.IsSuccessStatusCode)
                {
                    body = $"Error: {target} answered {(int)response.StatusCode} {response.ReasonPhrase}\n{body}";
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
            {
                status = 500;
                body = $"Error: {Describe(error)} ({target})";
                Console.Error.WriteLine(body);
            }
            return Results.Content(Page(body), "text/html; charset=utf-8", statusCode: status);
        });
        await app.RunAsync();
        return 0;
    }

    /// <summary>Names a failure as Node's http module does, since the tutorial's text refers to those names.</summary>
    internal static string Describe(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionReset => "read ECONNRESET",
                    SocketError.ConnectionRefused => "connect ECONNREFUSED",
                    SocketError.TimedOut => "ETIMEDOUT",
                    _ => socket.SocketErrorCode.ToString(),
                };
            }
        }
        if (error is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or HttpRequestException { InnerException: IOException })
        {
            return "read ECONNRESET";
        }
        return error is TaskCanceledException ? "ETIMEDOUT" : error.Message;
    }

    private static string Page(string customers) => $"""
        <!DOCTYPE html>
        <html>
        <head><title>Web Frontend</title></head>
        <body>
        <h1>Customers</h1>
        <pre>{WebUtility.HtmlEncode(customers)}</pre>
        </body>
        </html>

        """;
}
