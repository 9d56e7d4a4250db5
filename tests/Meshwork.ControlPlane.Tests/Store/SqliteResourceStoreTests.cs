using Meshwork.Store;
using Meshwork.Store.Sqlite;
using static Meshwork.ControlPlane.Tests.Store.StoreFixtures;

namespace Meshwork.ControlPlane.Tests.Store;

public sealed class SqliteResourceStoreTests : ResourceStoreComplianceTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshwork-store-").FullName;
    private int _count;

    protected override async Task<IResourceStore> CreateStoreAsync(int eventRetention = 10_000) =>
        await SqliteResourceStore.OpenAsync(Path.Combine(_directory, $"store-{Interlocked.Increment(ref _count)}.db"), eventRetention: eventRetention);

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Reopening_the_file_keeps_objects_and_revision()
    {
        var path = Path.Combine(_directory, "reopen.db");
        string? uid;
        long revision;
        await using (var first = await SqliteResourceStore.OpenAsync(path))
        {
            await first.ApplyAsync([Namespace("foo"), ConfigMap("foo", "a", "kept")]);
            uid = (await first.FindAsync(new ResourceKey("ConfigMap", "foo", "a")))!.Metadata.Uid;
            revision = await first.GetRevisionAsync();
        }
        await using var second = await SqliteResourceStore.OpenAsync(path);

        var read = (Meshwork.Model.Resources.ConfigMap?)await second.FindAsync(new ResourceKey("ConfigMap", "foo", "a"));
        Assert.NotNull(read);
        Assert.Equal("kept", read.Data["value"]);
        Assert.Equal(uid, read.Metadata.Uid);
        Assert.Equal(revision, await second.GetRevisionAsync());
        var next = await second.CreateAsync(ConfigMap("foo", "b"));
        Assert.Equal(revision + 1, long.Parse(next.Metadata.ResourceVersion!));
    }

    [Fact]
    public async Task The_database_file_is_private_to_its_owner()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Path.Combine(_directory, "private.db");
        await using var store = await SqliteResourceStore.OpenAsync(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Migrations_are_numbered_in_order()
    {
        Assert.NotEmpty(SqliteMigrations.All);
        Assert.Equal(1, SqliteMigrations.All[0].Version);
        Assert.Equal(SqliteMigrations.All.Select(m => m.Version).Order(), SqliteMigrations.All.Select(m => m.Version));
    }
}
