using System.CommandLine;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>istioctl's diagnostics: <c>analyze</c>, <c>authn tls-check</c>, and the experimental group <c>meshwork x …</c>.</summary>
public static class DiagnosticCommands
{
    public static IEnumerable<Command> Create()
    {
        var experimental = new Command("x", "Experimental diagnostics (as istioctl x)");
        experimental.Subcommands.Add(ExplainCommand.Create());
        experimental.Subcommands.Add(DescribePodCommand.Create());
        experimental.Subcommands.Add(CertsCommand.Create());
        experimental.Subcommands.Add(MtlsCommands.Create());
        experimental.Subcommands.Add(WhyCommand.Create());
        return [experimental, AnalyzeCommand.Create(), AuthnCommands.Create()];
    }
}
