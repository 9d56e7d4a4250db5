namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Seed 003's mesh (httpbin and sleep in foo and bar with sidecars, sleep in legacy without) with each workload pinned to
/// a node, so that sleep and httpbin run on different hosts.
/// </summary>
internal static class ThreeHostManifests
{
    public const string Namespaces = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: foo, labels: {istio-injection: enabled}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: bar, labels: {istio-injection: enabled}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: legacy}
        """;

    public const string MeshStrict = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: istio-system\nspec:\n  mtls:\n    mode: STRICT\n";

    /// <summary>Istio's httpbin sample in <paramref name="ns"/>, on <paramref name="node"/>.</summary>
    public static string Httpbin(string ns, string node) => $$"""
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: httpbin, namespace: {{ns}} }
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin, namespace: {{ns}}, labels: {app: httpbin, service: httpbin} }
        spec:
          ports: [{name: http, port: 8000, targetPort: 8080}]
          selector: {app: httpbin}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: httpbin, namespace: {{ns}} }
        spec:
          replicas: 1
          selector: {matchLabels: {app: httpbin, version: v1} }
          template:
            metadata: {labels: {app: httpbin, version: v1} }
            spec:
              serviceAccountName: httpbin
              nodeSelector: {kubernetes.io/hostname: {{node}} }
              containers:
              - name: httpbin
                image: docker.io/kong/httpbin
                command: [meshwork, sample, httpbin]
                ports: [{containerPort: 8080}]
                readinessProbe: {tcpSocket: {port: 8080}, timeoutSeconds: 5}
        """;

    /// <summary>Istio's sleep sample in <paramref name="ns"/>, on <paramref name="node"/>.</summary>
    public static string Sleep(string ns, string node) => $$"""
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: sleep, namespace: {{ns}} }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: sleep, namespace: {{ns}} }
        spec:
          replicas: 1
          selector: {matchLabels: {app: sleep} }
          template:
            metadata: {labels: {app: sleep} }
            spec:
              serviceAccountName: sleep
              nodeSelector: {kubernetes.io/hostname: {{node}} }
              containers:
              - {name: sleep, image: curlimages/curl, command: [sleep, infinity]}
        """;
}
