using BenchmarkDotNet.Running;

// Examples:
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- --filter '*CsrSigning*' --job short --inProcess
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- --list flat
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- push-counts 1000 10    (counted, not timed: see PushCounts)
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- ack-cost 2000        (one ACK's cost to the server: see AckCost)
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- tls-engines 20000 3 1000   (SslStream vs OpenSSL mesh TLS: see TlsEngineCounts)
if (args is ["push-counts", ..])
{
    Meshwork.Benchmarks.Push.PushCounts.Run(args);
    return;
}
if (args is ["ack-cost", ..])
{
    await Meshwork.Benchmarks.Push.AckCost.RunAsync(args);
    return;
}
if (args is ["tls-engines", ..])
{
    await Meshwork.Benchmarks.Proxy.TlsEngineCounts.RunAsync(args);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Meshwork.Benchmarks.Identity.CsrSigningBenchmarks).Assembly).Run(args);
