using System.Globalization;
using System.IO.MemoryMappedFiles;
using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class CleanPagesTrimTests
{
    [Fact]
    public void Releases_the_resident_read_only_file_pages_of_this_process()
    {
        // This process runs code mapped from files (libc's, the runtime's): some of it is resident now, and what is
        // released faults back in from the file when it runs again, as the rest of this test run shows.
        Assert.True(CleanPagesTrim.Run() > 0, "no read-only file page was released");
    }

    [Fact]
    public void Releases_the_pages_of_a_file_written_just_before_it_was_mapped_and_keeps_its_bytes()
    {
        // A sidecar started right after its executable was installed maps pages the kernel has not yet written back to
        // disk: they count as dirty, yet they are the file's own bytes, not a private copy, and must be released too.
        var path = Path.Combine(Path.GetTempPath(), $"meshwork-clean-pages-{Guid.NewGuid():N}");
        var content = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(content);
        // Written with write(2) alone, so that its pages are still dirty in the page cache when mapped.
        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write)) RandomAccess.Write(handle, content, 0);
        try
        {
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = file.CreateViewAccessor(0, content.Length, MemoryMappedFileAccess.Read);
            long sum = 0;
            for (var offset = 0; offset < content.Length; offset += 4096) sum += view.ReadByte(offset);
            Assert.True(ResidentKilobytes(path) >= 2048, "the mapped file was not resident before the trim");

            CleanPagesTrim.Run();

            Assert.True(ResidentKilobytes(path) < 256, $"{ResidentKilobytes(path)} KiB of the mapped file stayed resident");
            long again = 0;
            for (var offset = 0; offset < content.Length; offset += 4096) again += view.ReadByte(offset);
            Assert.Equal(sum, again);
            Assert.Equal(content[content.Length - 1], view.ReadByte(content.Length - 1));
        }
        finally { File.Delete(path); }
    }

    /// <summary>The resident kilobytes of this process's mappings of <paramref name="path"/>, from /proc/self/smaps.</summary>
    private static long ResidentKilobytes(string path)
    {
        long total = 0;
        var inMapping = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            // A mapping's header starts "start-end perms ...", its counters "Name:".
            var first = line.AsSpan(0, Math.Max(0, line.IndexOf(' ')));
            if (first.Contains('-') && !first.EndsWith(":"))
            {
                inMapping = line.EndsWith(path, StringComparison.Ordinal);
                continue;
            }
            if (inMapping && line.StartsWith("Rss:", StringComparison.Ordinal))
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        return total;
    }
}
