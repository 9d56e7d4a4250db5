namespace Meshwork.Identity.Tests;

public sealed class AtomicFileTests
{
    [Fact]
    public void The_owner_hook_gets_the_whole_file_with_its_mode_before_it_replaces_the_target()
    {
        using var dir = new TempDirectory();
        var target = dir["token"];
        File.WriteAllText(target, "old");
        string? seenContent = null, seenTarget = null;
        UnixFileMode? seenMode = null;

        AtomicFile.WriteAllText(target, "new token", AtomicFile.Private, temporary =>
        {
            seenContent = File.ReadAllText(temporary);
            seenMode = File.GetUnixFileMode(temporary);
            seenTarget = File.ReadAllText(target);
        });

        Assert.Equal(("new token", Files.OwnerOnly, "old"), (seenContent, seenMode, seenTarget));
        Assert.Equal("new token", File.ReadAllText(target));
        Assert.Equal(Files.OwnerOnly, File.GetUnixFileMode(target));
    }

    [Fact]
    public void A_failing_owner_hook_leaves_the_target_as_it_was_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        var target = dir["token"];
        File.WriteAllText(target, "old");

        Assert.Throws<UnauthorizedAccessException>(() =>
            AtomicFile.WriteAllText(target, "new", AtomicFile.Private, _ => throw new UnauthorizedAccessException("chown refused")));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["token"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
