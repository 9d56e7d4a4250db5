using Meshwork.Runtime.Pods;

namespace Meshwork.Runtime.Tests.Pods;

public sealed class ProxyRuntimeSettingsTests
{
    [Fact]
    public void The_bench_runs_sidecars_with_the_settings_the_runtime_gives_them()
    {
        var bench = File.ReadAllLines(BenchSettingsFile())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
        Assert.Equal(PodEnvironmentSettings.ProxyRuntimeSettings.OrderBy(p => p.Key, StringComparer.Ordinal),
            bench.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Every_number_is_in_the_form_the_native_sidecar_reads()
    {
        // The NativeAOT runtime parses DOTNET_ numbers as bare hex digits and ignores, without a word, a value it
        // cannot parse, such as one with a "0x" prefix: the sidecar would run with the default instead.
        foreach (var (name, value) in PodEnvironmentSettings.ProxyRuntimeSettings)
        {
            if (!name.StartsWith("DOTNET_", StringComparison.Ordinal) || name.StartsWith("DOTNET_SYSTEM_", StringComparison.Ordinal)) continue;
            Assert.True(value.Length > 0 && value.All(Uri.IsHexDigit), $"{name}={value} is not bare hex digits");
        }
    }

    private static string BenchSettingsFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "bench", "sidecar-runtime.env");
            if (File.Exists(file)) return file;
        }
        throw new FileNotFoundException("bench/sidecar-runtime.env not found above the test assembly");
    }
}
