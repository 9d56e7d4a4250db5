using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Registry;

namespace Meshwork.Cli.Commands;

/// <summary>
/// `meshwork proxy-status`: every proxy connected to the control plane and whether it runs the
/// configuration it was last sent, as `istioctl proxy-status` shows it.
/// </summary>
internal static class ProxyStatusCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Show only this proxy (<pod>[.<namespace>])", Arity = ArgumentArity.ZeroOrOne };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Show only proxies in this namespace" };
        var output = new Option<string?>("--output", "-o") { Description = "json, or wide (adds identity, sent/acked versions and the NACK reason)" };
        var command = new Command("proxy-status", "Show each proxy's snapshot version and whether it is SYNCED, STALE or NACKed")
        {
            name, ns, output,
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
            catch (Exception e) when (e is HttpRequestException or IOException or ProxyStatusException or JsonException)
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
        var url = server ?? ServerUrl(state);
        if (!File.Exists(state.AdminTokenFile)) throw new ProxyStatusException($"no admin token at {state.AdminTokenFile}: is a control plane running for this state directory?");
        var token = (await File.ReadAllTextAsync(state.AdminTokenFile, cancellationToken)).Trim();
        var roots = new X509Certificate2Collection();
        if (File.Exists(state.RootCertFile)) roots.ImportFromPemFile(state.RootCertFile);

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, _) => certificate is not null && ChainsTo(certificate, presented, roots);
        using var http = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.GetAsync(ProxyStatus.StatusPath, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ProxyStatusException($"the control plane at {url} refused the admin token in {state.AdminTokenFile}");
        }
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(body, RegistryJson.Default.ProxyStatusArray, cancellationToken) ?? [];
    }

    /// <summary>The control plane's serving certificate must chain to the mesh root of the state directory, never to the OS store.</summary>
    private static bool ChainsTo(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection roots)
    {
        if (roots.Count == 0) return false;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null) chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        return chain.Build(leaf);
    }

    private static string ServerUrl(StateDirectory state)
    {
        if (!File.Exists(state.ServerInfoFile)) throw new ProxyStatusException($"no control plane is recorded in {state.Root} (start one with `meshwork up` or `meshwork server`, or pass --server)");
        using var info = JsonDocument.Parse(File.ReadAllText(state.ServerInfoFile));
        return info.RootElement.TryGetProperty("url", out var url) && url.GetString() is { Length: > 0 } value
            ? value
            : throw new ProxyStatusException($"{state.ServerInfoFile} names no url");
    }

    private sealed class ProxyStatusException(string message) : Exception(message);
}
