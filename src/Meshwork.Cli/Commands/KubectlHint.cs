using Meshwork.Api;

namespace Meshwork.Cli.Commands;

/// <summary>The line <c>meshwork server</c> and <c>meshwork up</c> print so that kubectl users find the kubeconfig.</summary>
internal static class KubectlHint
{
    public static string For(StateDirectory state) =>
        $"kubeconfig {state.KubeconfigFile} (context {Kubeconfig.ContextName}): KUBECONFIG={state.KubeconfigFile} kubectl get pods -A";
}
