namespace Meshwork.Samples;

/// <summary>Entry point of `meshwork sample &lt;app&gt;`.</summary>
public static class SampleProgram
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("meshwork sample: not built yet");
        return Task.FromResult(2);
    }
}
