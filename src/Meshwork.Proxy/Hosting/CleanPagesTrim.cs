using System.Globalization;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Drops from the process's resident set the read-only file pages it has mapped (its own executable's code and
/// read-only data, and the shared libraries'), once start-up is over: start-up runs code the steady state never runs
/// again (the first snapshot's parse, the certificate request, the listeners' set-up), and every page fault maps in a
/// whole window of neighbours besides, so those pages would otherwise stay resident for the sidecar's whole life. The
/// pages stay in the page cache, shared with every other sidecar; what the proxy runs afterwards faults back in.
/// </summary>
/// <remarks>
/// Only mappings without write permission and without a private (copy-on-write) page are dropped: madvise(2)
/// MADV_DONTNEED on them loses nothing, since a later access reads the same bytes from the file, as after the kernel's
/// own reclaim. A mapping written since load (relocated data, say) keeps every page.
/// </remarks>
internal static partial class CleanPagesTrim
{
    private const int MadviseDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>Drops the clean read-only file pages; returns the bytes that were resident in them (0 where /proc is missing).</summary>
    public static long Run()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        string[] lines;
        try { lines = File.ReadAllLines("/proc/self/smaps"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        long dropped = 0;
        Mapping? current = null;
        foreach (var line in lines)
        {
            if (Mapping.TryParseHeader(line, out var header))
            {
                dropped += Drop(current);
                current = header;
                continue;
            }
            if (current is null) continue;
            if (line.StartsWith("Rss:", StringComparison.Ordinal)) current.Rss = Kilobytes(line);
            // A copy-on-write page shows as Anonymous, or as Swap once swapped out: either way it is not the file's. The
            // Dirty counters say nothing of the kind: they also count the file's own page-cache pages not yet written back
            // to disk, as every page of an executable installed a few seconds before start is, and such a page read again
            // is the same bytes.
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal) || line.StartsWith("Swap:", StringComparison.Ordinal))
            {
                if (Kilobytes(line) > 0) current.Written = true;
            }
        }
        return dropped + Drop(current);
    }

    private static long Drop(Mapping? mapping)
    {
        if (mapping is not { FileBacked: true, Writable: false, Written: false } || mapping.Rss == 0) return 0;
        return Madvise(mapping.Start, mapping.Length, MadviseDontNeed) == 0 ? mapping.Rss * 1024 : 0;
    }

    private static long Kilobytes(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 1;
    }

    /// <summary>One mapping of /proc/self/smaps (proc(5)): "start-end perms offset dev inode [path]", then its counters.</summary>
    private sealed class Mapping
    {
        public nint Start;
        public nuint Length;
        public bool Writable, FileBacked, Written;
        public long Rss;

        public static bool TryParseHeader(string line, out Mapping mapping)
        {
            mapping = null!;
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5) return false;
            var dash = fields[0].IndexOf('-');
            if (dash <= 0 || fields[1].Length != 4
                || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
                || end <= start)
            {
                return false;
            }
            mapping = new Mapping
            {
                Start = (nint)start,
                Length = (nuint)(end - start),
                Writable = fields[1][1] == 'w',
                // inode 0 is anonymous memory (the heap, stacks, the GC's regions); [vdso] and the like have no inode either.
                FileBacked = fields[4] != "0" && fields.Length == 6 && fields[5].StartsWith('/'),
            };
            return true;
        }
    }
}
