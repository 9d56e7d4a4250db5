using System.Net;
using System.Text.Json;

namespace Meshwork.Reliability.Tests.OutsideAuditors;

/// <summary>One finding of testssl.sh's flat JSON (<c>--jsonfile</c>): its check id, severity and text.</summary>
public sealed record TestsslFinding(string Id, string Severity, string Finding)
{
    /// <summary>testssl's severities from MEDIUM up: what the audit does not accept.</summary>
    public bool IsMediumOrWorse => Severity is "MEDIUM" or "HIGH" or "CRITICAL";

    public override string ToString() => $"{Id} [{Severity}] {Finding}";
}

/// <summary>
/// Debian's testssl.sh against one TLS port, as a stranger sees it: the protocols offered and renegotiation
/// (RFC 5746). Those checks only (<c>-p -R</c>), each connection bounded: every openssl call of testssl costs
/// seconds on a loaded machine, so the cipher enumeration is sslscan's (one process, a few seconds), and the
/// cipher categories (<c>-s</c>), HTTP-level and vulnerability batteries are left to the long audit.
/// </summary>
public static class Testssl
{
    public static readonly TimeSpan Budget = TimeSpan.FromMinutes(8);

    public static async Task<(IReadOnlyList<TestsslFinding> Findings, string Report)> AuditAsync(IPEndPoint target, string? serverName, string workDirectory)
    {
        var json = Path.Combine(workDirectory, $"testssl-{target.Address}-{target.Port}.json");
        File.Delete(json);
        // With a server name, testssl sends it as SNI and connects to the given address (--ip) instead of resolving it.
        string[] where = serverName is null ? [$"{target.Address}:{target.Port}"] : ["--ip", target.Address.ToString(), $"{serverName}:{target.Port}"];
        var run = await ToolRun.RunAsync("testssl",
            ["--quiet", "--color", "0", "--warnings", "off", "--connect-timeout", "10", "--openssl-timeout", "10",
             "-p", "-R", "--jsonfile", json, .. where], Budget);
        if (!File.Exists(json)) throw new InvalidOperationException($"testssl wrote no JSON (exit {run.ExitCode}):\n{run.Stdout}\n{run.Stderr}");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var findings = document.RootElement.EnumerateArray()
            .Select(f => new TestsslFinding(f.GetProperty("id").GetString() ?? "", f.GetProperty("severity").GetString() ?? "", f.GetProperty("finding").GetString() ?? ""))
            .ToList();
        return (findings, run.Stdout);
    }
}
