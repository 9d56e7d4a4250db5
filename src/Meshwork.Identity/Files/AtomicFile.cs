using System.Text;

namespace Meshwork.Identity;

/// <summary>
/// The one writer of the mesh's files that must be whole when read (keys, tokens, certificates, the state
/// directory's records): a reader sees either the old or the new content, never a mix. The content goes to a
/// temporary file in the same directory, created with its final mode and flushed to disk, which is then
/// renamed over the target (rename(2) replaces atomically on POSIX).
/// </summary>
public static class AtomicFile
{
    /// <summary>Owner read/write only, for private keys and signing secrets.</summary>
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0644, for certificates.</summary>
    public const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <param name="path">The file to write.</param>
    /// <param name="contents">Written as UTF-8, without a byte order mark.</param>
    /// <param name="mode">The file's mode, from its creation on.</param>
    /// <param name="beforeRename">The owner hook: called with the temporary file, whole and flushed, before it takes the target's place.</param>
    public static void WriteAllText(string path, string contents, UnixFileMode mode, Action<string>? beforeRename = null) =>
        WriteAllBytes(path, Encoding.UTF8.GetBytes(contents), mode, beforeRename);

    /// <param name="path">The file to write.</param>
    /// <param name="contents">The bytes.</param>
    /// <param name="mode">The file's mode, from its creation on.</param>
    /// <param name="beforeRename">
    /// The owner hook: called with the temporary file, whole and flushed, before it takes the target's place, so that
    /// a file handed to another user (chown) never appears under its path as anyone else's. When it throws, the
    /// target is left as it was.
    /// </param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents, UnixFileMode mode, Action<string>? beforeRename = null)
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
            beforeRename?.Invoke(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
