namespace Meshwork.ControlPlane.Tests.Store;

/// <summary>The redeemed bootstrap tokens every backend keeps: what makes a token one-time for every replica.</summary>
public abstract partial class ResourceStoreComplianceTests
{
    [Fact]
    public async Task A_token_is_redeemed_once_and_another_token_still_can_be()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);

        Assert.True(await Store.TryRedeemTokenAsync("0123456789abcdef01234567", expires));
        Assert.False(await Store.TryRedeemTokenAsync("0123456789abcdef01234567", expires));
        Assert.False(await Store.TryRedeemTokenAsync("0123456789abcdef01234567", expires.AddMinutes(5)));
        Assert.True(await Store.TryRedeemTokenAsync("fedcba9876543210fedcba98", expires));
    }

    [Fact]
    public async Task A_redeemed_token_whose_expiry_passed_is_forgotten()
    {
        Assert.True(await Store.TryRedeemTokenAsync("00000000000000000000aaaa", DateTimeOffset.UtcNow.AddMinutes(-1)));

        // The record lapsed with its token (which the issuer refuses by then anyway): the row is free again.
        Assert.True(await Store.TryRedeemTokenAsync("00000000000000000000aaaa", DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.False(await Store.TryRedeemTokenAsync("00000000000000000000aaaa", DateTimeOffset.UtcNow.AddMinutes(10)));
    }

    [Fact]
    public async Task Concurrent_redemptions_of_one_token_let_exactly_one_through()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.TryRedeemTokenAsync("0123456789abcdef0123beef", expires))));

        Assert.Single(results, r => r);
    }
}
