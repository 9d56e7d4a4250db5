using Meshwork.Api;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>How the runtime's commands reach the config API of a state directory.</summary>
internal static class RuntimeApi
{
    public static IMeshApi Connect(StateDirectory state, string? server) => MeshApiClient.FromStateDirectory(state, server);
}
