// These tests run openssl and check POSIX file modes: they target Linux (and other Unix systems).
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

namespace Meshwork.Identity.Tests;

internal static class Files
{
    public static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
