namespace Meshwork.Fuzz;

/// <summary>
/// Results of the codec's async methods over <see cref="FragmentedStream"/>, whose reads complete at once:
/// the methods then complete before they return, and a pending one would mean a read the target never feeds.
/// </summary>
internal static class Sync
{
    public static T Result<T>(ValueTask<T> task) =>
        task.IsCompleted ? task.GetAwaiter().GetResult() : throw new InvariantBrokenException("a read over a complete input did not complete");

    public static void Wait(ValueTask task)
    {
        if (!task.IsCompleted) throw new InvariantBrokenException("a read over a complete input did not complete");
        task.GetAwaiter().GetResult();
    }

    public static T Result<T>(Task<T> task) =>
        task.IsCompleted ? task.GetAwaiter().GetResult() : throw new InvariantBrokenException("a read over a complete input did not complete");
}
