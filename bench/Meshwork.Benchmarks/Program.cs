using BenchmarkDotNet.Running;

// Examples:
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- --filter '*CsrSigning*' --job short --inProcess
//   dotnet run -c Release --project bench/Meshwork.Benchmarks -- --list flat
BenchmarkSwitcher.FromAssembly(typeof(Meshwork.Benchmarks.Identity.CsrSigningBenchmarks).Assembly).Run(args);
