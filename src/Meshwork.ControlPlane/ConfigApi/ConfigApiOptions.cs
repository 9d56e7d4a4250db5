namespace Meshwork.ControlPlane.ConfigApi;

public sealed record ConfigApiOptions
{
    /// <summary>Bodies larger than this are refused with 413 RequestEntityTooLarge.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;
}
