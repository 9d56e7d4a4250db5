using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Samples.Apps;

/// <summary>The tutorial's customers service: a JSON list of customers on every path.</summary>
public static class CustomersApp
{
    private const string Customers = """
        [
          {"name": "Jewel Schaefer"},
          {"name": "Raleigh Larson"},
          {"name": "Eloise Senger"},
          {"name": "Moshe Zieme"},
          {"name": "Filiberto Lubowitz"},
          {"name": "Ms.Kadin Kling"},
          {"name": "Jennyfer Bergstrom"},
          {"name": "Candelario Rutherford"},
          {"name": "Kenyatta Flatley"},
          {"name": "Gianni Pouros"}
        ]

        """;

    public static async Task<int> RunAsync(SampleListen listen)
    {
        var app = listen.Build("customers");
        var version = Environment.GetEnvironmentVariable("SERVICE_VERSION") ?? "v1";
        app.Run(context =>
        {
            context.Response.Headers["x-customers-version"] = version;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(Customers);
        });
        await app.RunAsync();
        return 0;
    }
}
