using Meshwork.Fuzz;
using Meshwork.Fuzz.Targets;

// meshwork-fuzz TARGET            : one AFL target, inputs from afl-fuzz (persistent mode)
// meshwork-fuzz TARGET FILE...    : runs the target once per file and says which inputs fail
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Meshwork.Fuzz TARGET [FILE...]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}
if (args.Length == 1)
{
    // Prepared inside the first execution: the instrumented assemblies may only run once SharpFuzz has mapped
    // AFL's shared memory, which it does when the fork server starts.
    var prepared = false;
    SharpFuzz.Fuzzer.Run(stream =>
    {
        if (!prepared) { target.Prepare(); prepared = true; }
        using var input = new MemoryStream();
        stream.CopyTo(input);
        target.Run(input.GetBuffer().AsSpan(0, (int)input.Length));
    });
    return 0;
}
return Replay.Files(target, args[1..]);
