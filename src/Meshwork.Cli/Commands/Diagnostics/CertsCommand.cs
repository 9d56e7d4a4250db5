using System.CommandLine;
using System.Globalization;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Cli.Output;
using Meshwork.Identity;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork x certs [-n NS] [--expiring-within 72h]</c>: every workload certificate the runtime's sidecars
/// hold (what proxy-config secret reads), with issuer, SPIFFE ID, serial and expiry. Exits 1 when one has
/// expired or expires within the window, so a pipeline or a cron job can alert before the outage.
/// </summary>
public static class CertsCommand
{
    public static Command Create()
    {
        var within = new Option<string?>("--expiring-within") { Description = "Fail when a certificate expires within this duration (72h, 30m, 7d); default: only when one has expired" };
        var command = new Command("certs", "List every workload certificate: issuer, SPIFFE ID, serial, expiry") { within };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var window = parse.GetValue(within) is { } text ? DurationArgument.Parse(text, "--expiring-within") : TimeSpan.Zero;
            var now = DateTimeOffset.UtcNow;
            var rows = new List<IReadOnlyList<string>> { new[] { "NAMESPACE", "POD", "SPIFFE ID", "ISSUER", "SERIAL NUMBER", "NOT AFTER", "STATUS" } };
            var failing = 0;
            foreach (var pod in PodRecord.List(cli.State, parse.GetValue(GlobalOptions.Namespace)).Where(p => p.Sidecar && !p.Terminating))
            {
                if (SecretDump.ForPod(cli.State, pod) is not { } secret) continue;
                var leaf = secret.Leaf;
                var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                var status = notAfter <= now ? "EXPIRED" : notAfter - now <= window ? "EXPIRING" : "VALID";
                if (status != "VALID") failing++;
                rows.Add([pod.Namespace, pod.Name, CertificateIdentity.GetSpiffeUri(leaf) ?? "none", leaf.Issuer, leaf.SerialNumber.ToLowerInvariant(),
                    notAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), status]);
            }
            if (rows.Count == 1)
            {
                await cli.Err.WriteLineAsync("No workload certificates found (no running pod with a sidecar).").ConfigureAwait(false);
                return 0;
            }
            await cli.Out.WriteAsync(OutputTable.Format(rows)).ConfigureAwait(false);
            if (failing == 0) return 0;
            var what = window == TimeSpan.Zero ? "expired" : $"expired or expiring within {parse.GetValue(within)}";
            await cli.Err.WriteLineAsync($"error: {failing} of {rows.Count - 1} workload certificates {what}").ConfigureAwait(false);
            return 1;
        }));
        return command;
    }
}
