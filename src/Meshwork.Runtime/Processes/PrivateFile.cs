namespace Meshwork.Runtime.Processes;

/// <summary>Files only their owner may read (mode 0600): written whole under a temporary name, then renamed into place.</summary>
public static class PrivateFile
{
    /// <param name="owner">The user (and group) the file is given to; null: the runtime's own.</param>
    public static void Write(string path, string content, int? owner = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }
        if (owner is int uid) Posix.Chown(temporary, uid, uid);
        File.Move(temporary, path, overwrite: true);
    }
}
