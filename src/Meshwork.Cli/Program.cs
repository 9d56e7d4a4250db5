using System.CommandLine;
using Meshwork.Cli.Commands;
using Meshwork.Cli.Commands.Ca;
using Meshwork.Cli.Commands.Diagnostics;
using Meshwork.Cli.Commands.Observability;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Cli.Commands.Runtime;
using Meshwork.Cli.Commands.Server;

// The proxy and the sample apps run from the same binary as hidden entry points, dispatched before
// the CLI's parser is built so that a sidecar pays nothing for the CLI.
if (args.Length > 0 && args[0] == "proxy")
{
    return await Meshwork.Proxy.ProxyProgram.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "sample")
{
    return await Meshwork.Samples.SampleProgram.RunAsync(args[1..]);
}

var root = new RootCommand("Meshwork: Istio's mutual-TLS security model for plain hosts.");
GlobalOptions.AddTo(root);
foreach (var command in ResourceCommands.Create()
    .Concat(ServerCommands.Create())
    .Concat(RuntimeCommands.Create())
    .Concat(DiagnosticCommands.Create())
    .Concat(ProxyCommands.Create())
    .Concat(ObservabilityCommands.Create())
    .Concat(CaCommands.Create()))
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
