using Meshwork.Store;
using Meshwork.Store.Postgres;
using static Meshwork.ControlPlane.Tests.Store.StoreFixtures;

namespace Meshwork.ControlPlane.Tests.Store;

[Collection(PostgresCollection.Name)]
public sealed class PostgresResourceStoreTests(PostgresFixture postgres) : ResourceStoreComplianceTests
{
    protected override async Task<IResourceStore> CreateStoreAsync(int eventRetention = 10_000) =>
        await PostgresResourceStore.OpenAsync(postgres.Server.ConnectionString(await postgres.Server.CreateDatabaseAsync()), eventRetention: eventRetention);

    [Fact]
    public void Migrations_are_numbered_in_order()
    {
        Assert.NotEmpty(PostgresMigrations.All);
        Assert.Equal(1, PostgresMigrations.All[0].Version);
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version).Order(), PostgresMigrations.All.Select(m => m.Version));
    }
}
