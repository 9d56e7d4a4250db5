using Meshwork.Identity;

namespace Meshwork.Runtime.Processes;

/// <summary>Files only their owner may read (mode 0600), written by <see cref="AtomicFile"/>; a pod's are handed to its user before they appear.</summary>
public static class PrivateFile
{
    /// <param name="path">The file to write.</param>
    /// <param name="content">Its text.</param>
    /// <param name="owner">The user (and group) the file is given to; null: the runtime's own.</param>
    public static void Write(string path, string content, int? owner = null) =>
        AtomicFile.WriteAllText(path, content, AtomicFile.Private, owner is int uid ? temporary => Posix.Chown(temporary, uid, uid) : null);
}
