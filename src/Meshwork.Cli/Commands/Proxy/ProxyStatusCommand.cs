using System.CommandLine;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Registry;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>
/// `meshwork proxy-status`: every proxy connected to the control plane and whether it runs the
/// configuration it was last sent, as `istioctl proxy-status` shows it.
/// </summary>
internal static class ProxyStatusCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Show only this proxy (<pod>[.<namespace>])", Arity = ArgumentArity.ZeroOrOne };
        var ns = GlobalOptions.Namespace;
        var output = new Option<string?>("--output", "-o") { Description = "json, or wide (adds identity, sent/acked versions and the NACK reason)" };
        var command = new Command("proxy-status", "Show each proxy's snapshot version and whether it is SYNCED, STALE or NACKed")
        {
            name, output,
        };
        command.Aliases.Add("ps");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            ProxyStatus[] rows;
            try
            {
                rows = await FetchAsync(state, parse.GetValue(GlobalOptions.Server), cancellationToken);
            }
            catch (Exception e) when (e is MeshApiException or HttpRequestException or JsonException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            var selected = Filter(rows, parse.GetValue(name), parse.GetValue(ns)).ToArray();
            var format = parse.GetValue(output);
            if (format == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(selected, RegistryJson.Default.ProxyStatusArray));
                return 0;
            }
            if (format is not null and not "wide")
            {
                Console.Error.WriteLine($"error: unknown output format '{format}' (use json or wide)");
                return 1;
            }
            if (selected.Length == 0)
            {
                Console.WriteLine("No proxies connected.");
                return 0;
            }
            Console.Write(Table(selected, DateTimeOffset.UtcNow, wide: format == "wide"));
            return 0;
        });
        return command;
    }

    internal static IEnumerable<ProxyStatus> Filter(IEnumerable<ProxyStatus> rows, string? name, string? @namespace)
    {
        foreach (var row in rows)
        {
            if (@namespace is not null && row.Namespace != @namespace) continue;
            if (name is not null && row.Id != name && !(row.Pod == name && (@namespace is null || row.Namespace == @namespace))) continue;
            yield return row;
        }
    }

    internal static string Table(IReadOnlyList<ProxyStatus> rows, DateTimeOffset now, bool wide)
    {
        List<string[]> lines = [wide
            ? ["NAME", "NAMESPACE", "ROLE", "SNAPSHOT", "STATUS", "AGE", "IDENTITY", "ACKED", "ERROR"]
            : ["NAME", "NAMESPACE", "ROLE", "SNAPSHOT", "STATUS", "AGE"]];
        foreach (var row in rows)
        {
            string[] basic = [row.Id, row.Namespace, row.Role.ToString().ToLowerInvariant(), row.SentVersion ?? "-", row.Status, Age(now - row.ConnectedAt)];
            lines.Add(wide
                ? [.. basic, row.Identity, row.AckedVersion ?? "-", row.NackError ?? row.GenerationError ?? ""]
                : basic);
        }
        var widths = Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var line in lines)
        {
            text.AppendLine(string.Join("   ", line.Select((cell, i) => i == line.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
        return text.ToString();
    }

    /// <summary>kubectl's age format: 45s, 12m, 3h, 2d.</summary>
    internal static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalSeconds < 120 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 120 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    private static async Task<ProxyStatus[]> FetchAsync(StateDirectory state, string? server, CancellationToken cancellationToken)
    {
        using var api = MeshApiClient.FromStateDirectory(state, server);
        var json = await api.SendAsync(HttpMethod.Get, ProxyStatus.StatusPath, jsonBody: null, cancellationToken);
        return JsonSerializer.Deserialize(json, RegistryJson.Default.ProxyStatusArray) ?? [];
    }
}
