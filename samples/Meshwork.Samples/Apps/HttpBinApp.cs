using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Samples.Apps;

/// <summary>
/// A small httpbin.org: /ip, /headers, /get, /status/{code}, /delay/{seconds}. Request headers are
/// echoed as received, so X-Forwarded-Client-Cert set by a sidecar shows who called.
/// </summary>
public static class HttpBinApp
{
    public static async Task<int> RunAsync(SampleListen listen)
    {
        var app = listen.Build("httpbin");
        app.MapGet("/", () => Results.Content(
            "<!DOCTYPE html><html><head><title>httpbin</title></head><body><h1>httpbin</h1><p>" +
            "Try <a href=\"/ip\">/ip</a>, <a href=\"/headers\">/headers</a>, <a href=\"/get\">/get</a>, " +
            "/status/{code}, /delay/{seconds}.</p></body></html>", "text/html; charset=utf-8"));
        app.MapGet("/ip", (HttpContext context) => Json(w => w.WriteString("origin", Origin(context))));
        app.MapGet("/headers", (HttpContext context) => Json(w => WriteHeaders(w, context.Request)));
        app.MapMethods("/get", ["GET", "HEAD"], (HttpContext context) => Json(w => WriteGet(w, context)));
        app.Map("/status/{code:int}", (int code) => code is >= 100 and <= 599 ? Results.StatusCode(code) : Results.BadRequest());
        app.MapGet("/delay/{seconds:int}", async (int seconds, HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 10)), context.RequestAborted);
            return Json(w => WriteGet(w, context));
        });
        await app.RunAsync();
        return 0;
    }

    internal static string Origin(HttpContext context) =>
        context.Connection.RemoteIpAddress?.MapToIPv4().ToString() ?? "";

    private static IResult Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return Results.Text(Encoding.UTF8.GetString(buffer.ToArray()), "application/json");
    }

    private static void WriteHeaders(Utf8JsonWriter writer, HttpRequest request)
    {
        writer.WriteStartObject("headers");
        foreach (var (name, values) in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            writer.WriteString(name, values.ToString());
        }
        writer.WriteEndObject();
    }

    private static void WriteGet(Utf8JsonWriter writer, HttpContext context)
    {
        writer.WriteStartObject("args");
        foreach (var (name, values) in context.Request.Query)
        {
            writer.WriteString(name, values.ToString());
        }
        writer.WriteEndObject();
        WriteHeaders(writer, context.Request);
        writer.WriteString("origin", Origin(context));
        var request = context.Request;
        writer.WriteString("url", string.Create(CultureInfo.InvariantCulture, $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}"));
    }
}
