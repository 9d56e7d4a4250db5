namespace Meshwork.ControlPlane.Dashboard;

/// <summary>POST <see cref="Path"/> (admin credential) → this: the one-time link the CLI prints.</summary>
public sealed record DashboardLogin(string LoginPath, DateTimeOffset ExpiresAt)
{
    public const string Path = "/meshwork/v1/dashboard/logins";
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DashboardLogin))]
[System.Text.Json.Serialization.JsonSerializable(typeof(WorkloadView))]
public sealed partial class DashboardJson : System.Text.Json.Serialization.JsonSerializerContext;
