namespace Meshwork.Cli.Tests;

/// <summary>The tutorials' manifests (seeds 003 and 004), written to a temporary directory per test.</summary>
internal sealed class ExplainManifests : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "meshwork-explain-" + Guid.NewGuid().ToString("N"));

    public ExplainManifests() => System.IO.Directory.CreateDirectory(Directory);

    public string Write(string name, string yaml)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string HttpbinAndSleep(string ns) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: httpbin
          namespace: {ns}
        spec:
          ports:
          - name: http
            port: 8000
            targetPort: 8080
          selector:
            app: httpbin
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: httpbin
          namespace: {ns}
        spec:
          selector:
            matchLabels:
              app: httpbin
          template:
            metadata:
              labels:
                app: httpbin
                version: v1
            spec:
              serviceAccountName: httpbin
              containers:
              - name: httpbin
                image: docker.io/mccutchen/go-httpbin
                ports:
                - containerPort: 8080
        ---
        {Sleep(ns)}
        """;

    private static string Sleep(string ns) => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: sleep
          namespace: {ns}
        spec:
          selector:
            matchLabels:
              app: sleep
          template:
            metadata:
              labels:
                app: sleep
            spec:
              serviceAccountName: sleep
              containers:
              - name: sleep
                image: curlimages/curl
                command: ["/bin/sleep", "infinity"]
        """;

    public static readonly string MigrationSetup = $"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: foo
          labels:
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: bar
          labels:
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: legacy
        ---
        {HttpbinAndSleep("foo")}
        ---
        {HttpbinAndSleep("bar")}
        ---
        {Sleep("legacy")}
        """;

    public const string NamespaceStrict = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
          namespace: foo
        spec:
          mtls:
            mode: STRICT
        """;

    public const string MeshStrict = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
          namespace: istio-system
        spec:
          mtls:
            mode: STRICT
        """;

    public const string Shop = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: hipstershopv1v2
          labels:
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: frontend
          namespace: hipstershopv1v2
        spec:
          selector:
            app: frontend.hipstershopv1v2.svc.cluster.local
          ports:
          - name: http
            port: 8080
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: frontend
          namespace: hipstershopv1v2
        spec:
          selector:
            matchLabels:
              app: frontend.hipstershopv1v2.svc.cluster.local
          template:
            metadata:
              labels:
                app: frontend.hipstershopv1v2.svc.cluster.local
            spec:
              serviceAccountName: frontend
              containers:
              - name: server
                image: frontend
                ports:
                - containerPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: adservice
          namespace: hipstershopv1v2
        spec:
          selector:
            app: adservice
          ports:
          - name: grpc
            port: 9555
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: adservice
          namespace: hipstershopv1v2
        spec:
          selector:
            matchLabels:
              app: adservice
          template:
            metadata:
              labels:
                app: adservice
            spec:
              serviceAccountName: adservice
              containers:
              - name: server
                image: adservice
                ports:
                - containerPort: 9555
        """;

    public const string FrontendPermissive = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: frontend
          namespace: hipstershopv1v2
        spec:
          selector:
            matchLabels:
              app: frontend.hipstershopv1v2.svc.cluster.local
          mtls:
            mode: PERMISSIVE
        """;
}
