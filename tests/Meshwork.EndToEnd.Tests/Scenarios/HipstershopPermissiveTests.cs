using Meshwork.EndToEnd.Tests.Infrastructure;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>Seed 004: mesh-wide STRICT with a PERMISSIVE exception for the shop's frontend.</summary>
[Collection(MeshCollection.Name)]
public sealed class HipstershopPermissiveTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    [Fact]
    public async Task An_outside_client_reaches_only_the_workload_left_permissive()
    {
        await _mesh.UpAsync(MeshFixture.Sample("hipstershop-permissive/namespaces.yaml"), MeshFixture.Sample("hipstershop-permissive/hipstershop.yaml"));
        await _mesh.MustAsync("apply", "-n", "noistio", "-f", MeshFixture.Sample("hipstershop-permissive/sleep.yaml"));
        await _mesh.MustAsync("rollout", "status", "deployment/sleep", "-n", "noistio");
        var shop = _mesh.Pods("hipstershopv1v2");
        Assert.All(shop, p => Assert.True(p.Sidecar, $"{p.Name} has no sidecar"));
        Assert.All(_mesh.Pods("noistio"), p => Assert.False(p.Sidecar));

        // PERMISSIVE by default: plaintext from outside the mesh is accepted.
        Assert.Equal("200", (await _mesh.CurlUntilAsync("noistio", "http://frontend.hipstershopv1v2:8080", "200")).Code);

        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("hipstershop-permissive/strict-mesh.yaml"));
        var refused = await _mesh.CurlUntilAsync("noistio", "http://frontend.hipstershopv1v2:8080", "000");
        Assert.Equal(("000", 56), (refused.Code, refused.ExitCode));
        Assert.Contains("command terminated with exit code 56", refused.Stderr);

        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("hipstershop-permissive/frontend-permissive.yaml"));
        Assert.Equal("200", (await _mesh.CurlUntilAsync("noistio", "http://frontend.hipstershopv1v2:8080", "200")).Code);
        var ads = await _mesh.CurlAsync("noistio", "http://adservice.hipstershopv1v2:9555");
        Assert.Equal(("000", 56), (ads.Code, ads.ExitCode));
    }
}
