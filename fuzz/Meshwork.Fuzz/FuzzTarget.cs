namespace Meshwork.Fuzz;

/// <summary>
/// One fuzz target: <see cref="Run"/> feeds one input to the code under test and throws only when it found
/// a defect (an exception the code must never let out, or a broken invariant); refusals of bad input are
/// the expected outcome and return normally.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>One-time setup before the first input (keys, caches), kept out of every execution's cost.</summary>
    public virtual void Prepare() { }

    public abstract void Run(ReadOnlySpan<byte> input);
}

/// <summary>An invariant the fuzzed code broke: AFL records the input as a crash.</summary>
internal sealed class InvariantBrokenException(string message) : Exception(message);
