using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Runtime;

/// <summary>
/// The istio-ingressgateway that a mesh has by default, as Istio's installation makes it: a Deployment in
/// istio-system whose istio-proxy container runs the gateway role (gateway injection), labelled
/// istio: ingressgateway for Gateway selectors, and a LoadBalancer Service whose address is the pod's.
/// Port 80 when this host lets the runtime bind it (root does); otherwise 8080, which the Service then exposes
/// (either serves the Gateway servers of port 80). HTTPS likewise on 443, or 8443 (serving the servers of 443).
/// </summary>
public static class IngressGateway
{
    public const string Namespace = "istio-system";
    public const string Name = "istio-ingressgateway";
    public const int PrivilegedPort = 80;
    public const int UnprivilegedPort = 8080;
    public const int PrivilegedHttpsPort = 443;
    public const int UnprivilegedHttpsPort = 8443;
    /// <summary>"0" leaves the default ingress gateway out of the mesh.</summary>
    public const string Variable = "MESHWORK_INGRESS_GATEWAY";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) != "0";

    /// <summary>80 if a socket can bind it on loopback here, else 8080.</summary>
    public static int ChoosePort()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, PrivilegedPort));
            return PrivilegedPort;
        }
        catch (SocketException)
        {
            return UnprivilegedPort;
        }
    }

    /// <summary>The HTTPS port beside HTTP port <paramref name="httpPort"/>: 443 when 80 could be bound, else 8443.</summary>
    public static int HttpsPortFor(int httpPort) => httpPort == PrivilegedPort ? PrivilegedHttpsPort : UnprivilegedHttpsPort;

    /// <summary>The Namespace, ServiceAccount, Deployment and Service of the gateway listening on <paramref name="port"/> (and its HTTPS port).</summary>
    public static ImmutableArray<Resource> Resources(int port)
    {
        var https = HttpsPortFor(port);
        var yaml = $$$"""
            apiVersion: v1
            kind: Namespace
            metadata: {name: {{{Namespace}}}}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: {{{Name}}}, namespace: {{{Namespace}}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: {{{Name}}}, namespace: {{{Namespace}}}, labels: {app: {{{Name}}}, istio: ingressgateway}}
            spec:
              replicas: 1
              selector: {matchLabels: {app: {{{Name}}}, istio: ingressgateway}}
              template:
                metadata:
                  labels: {app: {{{Name}}}, istio: ingressgateway}
                  annotations: {inject.istio.io/templates: gateway}
                spec:
                  serviceAccountName: {{{Name}}}
                  containers:
                  - name: istio-proxy
                    image: auto
                    ports: [{containerPort: {{{port}}}, name: http2}, {containerPort: {{{https}}}, name: https}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: {{{Name}}}, namespace: {{{Namespace}}}, labels: {app: {{{Name}}}, istio: ingressgateway}}
            spec:
              type: LoadBalancer
              selector: {app: {{{Name}}}, istio: ingressgateway}
              ports: [{name: http2, port: {{{port}}}, targetPort: {{{port}}}}, {name: https, port: {{{https}}}, targetPort: {{{https}}}}]
            """;
        var read = ManifestReader.Read(yaml, "istio-ingressgateway.yaml", null);
        if (read.HasErrors) throw new InvalidOperationException($"the built-in ingress gateway manifest is invalid: {string.Join("; ", read.Errors)}");
        return read.Resources;
    }

    /// <summary>Creates what of the default ingress gateway is missing; what exists (a user's own) is left as it is.</summary>
    public static async Task CreateMissingAsync(IMeshApi api, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            var port = ChoosePort();
            foreach (var resource in Resources(port))
            {
                if (await api.GetAsync(resource.Kind, resource.Metadata.Namespace, resource.Metadata.Name, cancellationToken).ConfigureAwait(false) is not null) continue;
                await api.PutAsync(resource, cancellationToken).ConfigureAwait(false);
            }
            log($"runtime: ingress gateway {Namespace}/{Name} on port {port}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log($"runtime: could not create the ingress gateway: {e.Message}");
        }
    }
}
