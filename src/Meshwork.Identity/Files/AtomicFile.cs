using System.Text;

namespace Meshwork.Identity;

/// <summary>
/// Writes a file so that a reader sees either the old or the new content, never a mix: write a temporary
/// file in the same directory, flush it to disk, then rename it over the target (rename is atomic on POSIX).
/// </summary>
public static class AtomicFile
{
    /// <summary>Owner read/write only, for private keys and signing secrets.</summary>
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0644, for certificates.</summary>
    public const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteAllText(string path, string contents, UnixFileMode mode) =>
        WriteAllBytes(path, Encoding.UTF8.GetBytes(contents), mode);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        // The mode is set when the file is created, so a key is never readable by others, not even briefly.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
