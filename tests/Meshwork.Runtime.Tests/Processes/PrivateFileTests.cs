using Meshwork.Runtime.Network;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Tests.Processes;

/// <summary>A pod's private files (its bootstrap token, an addon's configuration) belong to the pod's user. Giving them away needs root (CI runs as root).</summary>
public sealed class PrivateFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshwork-private-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>"uid mode" of the file, as stat(1) prints them.</summary>
    private static string OwnerAndMode(string path) => NetworkCommands.Run("stat", ["-c", "%u %a", path]).Trim();

    [Fact]
    public void A_file_given_to_a_pods_user_is_that_users_alone_and_one_kept_is_the_runtimes()
    {
        Assert.True(Posix.IsRoot, "giving a file to another user needs root");
        var given = Path.Combine(_directory, "bootstrap-token");
        var kept = Path.Combine(_directory, "kept");

        PrivateFile.Write(given, "token", owner: 65534);
        PrivateFile.Write(kept, "secret");

        Assert.Equal("65534 600", OwnerAndMode(given));
        Assert.Equal("0 600", OwnerAndMode(kept));
        Assert.Equal("token", File.ReadAllText(given));
        Assert.Equal(["bootstrap-token", "kept"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
