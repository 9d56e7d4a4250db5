namespace Meshwork.Cli.Tests.Server;

/// <summary>The manifests the replica tests apply.</summary>
internal static class Manifests
{
    public const string FooNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n";

    public const string FooStrict = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: foo\nspec:\n  mtls:\n    mode: STRICT\n";

    public const string FooPermissive = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: foo\nspec:\n  mtls:\n    mode: PERMISSIVE\n";
}
