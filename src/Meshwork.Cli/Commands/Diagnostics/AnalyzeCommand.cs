using System.CommandLine;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Cli.Output;
using Meshwork.Policy.Analysis;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork analyze [-n NS | -A] [-f FILES | FILES]</c>: istioctl analyze over the live mesh, or over
/// manifest files offline. Exits 79 (istioctl's "analyzer found issues") when a finding is an Error, so CI can gate.
/// </summary>
public static class AnalyzeCommand
{
    /// <summary>istioctl's exit code when analysis finds an issue at or above the failure threshold.</summary>
    public const int FoundIssues = 79;

    public static Command Create()
    {
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Analyze every namespace" };
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Analyze these manifest files or directories offline instead of the live mesh (every namespace in them unless -n)",
            AllowMultipleArgumentsPerToken = true,
        };
        var positional = new Argument<string[]>("files") { Arity = ArgumentArity.ZeroOrMore, Description = "Manifest files, as istioctl analyze takes them" };
        var command = new Command("analyze", "Report configuration that breaks traffic or is silently ignored (istioctl analyze's codes, and Meshwork's own)")
        {
            all, files, positional,
        };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var paths = (parse.GetValue(files) ?? []).Concat(parse.GetValue(positional) ?? []).ToList();
            var explicitNamespace = parse.GetValue(GlobalOptions.Namespace);
            var everywhere = parse.GetValue(all);
            if (everywhere && explicitNamespace is not null) throw new CliUsageException("-A and -n cannot be used together");
            // Files are analyzed whole unless -n narrows them; the live mesh, like kubectl, defaults to "default".
            var @namespace = everywhere ? null : explicitNamespace ?? (paths.Count > 0 ? null : "default");
            if (await MeshSource.LoadAsync(cli, paths, ct).ConfigureAwait(false) is not { } mesh) return 1;

            var messages = MeshAnalyzer.Analyze(mesh, @namespace);
            foreach (var message in messages) await cli.Out.WriteLineAsync(AnalysisLines.Line(message)).ConfigureAwait(false);
            if (messages.IsEmpty)
            {
                await cli.Err.WriteLineAsync($"\u2714 No validation issues found when analyzing{Analyzed(paths, @namespace)}").ConfigureAwait(false);
            }
            if (!MeshAnalyzer.HasErrors(messages)) return 0;
            await cli.Err.WriteLineAsync("Error: Analyzer found issues.").ConfigureAwait(false);
            return FoundIssues;
        }));
        return command;
    }

    /// <summary>What was analyzed, in istioctl's words: " namespace: foo.", " all namespaces.", " a.yaml.", or a list of files.</summary>
    private static string Analyzed(IReadOnlyList<string> paths, string? @namespace) =>
        @namespace is not null ? $" namespace: {@namespace}."
        : paths.Count == 1 ? $" {paths[0]}."
        : paths.Count > 1 ? ":\n  - " + string.Join("\n  - ", paths)
        : " all namespaces.";
}
