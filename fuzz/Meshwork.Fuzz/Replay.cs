namespace Meshwork.Fuzz;

/// <summary>Runs a target on saved inputs (a crash AFL found, a corpus) outside AFL, printing each failure.</summary>
internal static class Replay
{
    public static int Files(FuzzTarget target, IEnumerable<string> paths)
    {
        GiveInstrumentationAMap();
        target.Prepare();
        var failed = 0;
        var ran = 0;
        foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
        {
            ran++;
            try { target.Run(File.ReadAllBytes(file)); }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
                Console.WriteLine(e.StackTrace);
            }
        }
        Console.WriteLine($"replayed {ran} inputs: {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// Instrumented assemblies record edges in AFL's shared memory, which only afl-fuzz provides: outside it they
    /// get a private map of AFL's size (64 KiB), so that the instrumented build replays inputs too.
    /// </summary>
    private static unsafe void GiveInstrumentationAMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(64 * 1024);
    }
}
