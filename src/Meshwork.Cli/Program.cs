using System.CommandLine;
using Meshwork.Cli.Commands;

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
root.Options.Add(GlobalOptions.StateDir);
root.Options.Add(GlobalOptions.Server);
foreach (var command in ResourceCommands.Create()
    .Concat(ServerCommands.Create())
    .Concat(RuntimeCommands.Create())
    .Concat(DiagnosticCommands.Create())
    .Concat(ProxyCommands.Create())
    .Concat(ObservabilityCommands.Create()))
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
