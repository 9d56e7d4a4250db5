/// <summary>One page variant's measurements over the runs.</summary>
internal sealed class VariantResults
{
    public List<double> Loads { get; } = [];
    public List<double> CpuSeconds { get; } = [];
    public List<double> Refreshes { get; } = [];
    public List<double> Fetches { get; } = [];
    public List<LoadSplit> Splits { get; } = [];

    public void Add(double load, double cpuSeconds, LoadSplit split, double refresh, double fetch)
    {
        Loads.Add(load);
        CpuSeconds.Add(cpuSeconds);
        Splits.Add(split);
        Refreshes.Add(refresh);
        Fetches.Add(fetch);
    }
}
