using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

public class ResourceJsonTests
{
    /// <summary>One resource of every kind, with every field the model keeps set to a non-default value.</summary>
    private const string EveryKind = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: foo
          labels: {istio-injection: enabled}
          annotations: {note: "x"}
          creationTimestamp: "2026-01-02T03:04:05.123Z"
          resourceVersion: "7"
          uid: u-1
          generation: 2
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: sleep, namespace: foo}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            trustDomain: example.org
          empty: ""
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: cacerts, namespace: istio-system}
        type: kubernetes.io/tls
        data: {tls.key: AAEC/w==}
        stringData: {note: plain}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin, namespace: foo, labels: {app: httpbin}}
        spec:
          type: NodePort
          selector: {app: httpbin}
          ports:
          - {name: http, port: 8000, targetPort: 8080, appProtocol: http}
          - {name: grpc, port: 9000, targetPort: grpc-port, protocol: TCP}
          - {name: dns, port: 53, protocol: UDP}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: httpbin, namespace: foo, generation: 4}
        spec:
          replicas: 3
          selector: {matchLabels: {app: httpbin, version: v1}}
          template:
            metadata:
              labels: {app: httpbin, version: v1}
              annotations: {sidecar.istio.io/inject: "true"}
            spec:
              serviceAccountName: httpbin
              containers:
              - name: httpbin
                image: mccutchen/go-httpbin
                command: [go-httpbin]
                args: ["-port", "$(PORT)"]
                env: [{name: A, value: "1"}, {name: EMPTY}]
                ports: [{containerPort: 8080, name: http}, {containerPort: 5353, protocol: UDP}]
              - name: helper
                image: busybox
        status: {observedGeneration: 4, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: httpbin-1, namespace: foo, labels: {app: httpbin}}
        spec:
          serviceAccountName: httpbin
          containers: [{name: httpbin, image: x, ports: [{containerPort: 8080}]}]
        status:
          phase: Failed
          reason: CrashLoopBackOff
          podIP: 127.0.0.9
          startTime: "2026-01-02T03:04:05Z"
          containerStatuses:
          - {name: httpbin, ready: false, restartCount: 3, state: {terminated: {exitCode: 1}}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: httpbin, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          mtls: {mode: STRICT}
          portLevelMtls:
            8080: {mode: DISABLE}
            9000: {}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: empty-selector, namespace: foo}
        spec:
          selector: {}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata: {name: audit, namespace: foo, annotations: {istio.io/dry-run: "true"}}
        spec:
          selector: {matchLabels: {app: httpbin}}
          action: AUDIT
          rules:
          - from:
            - source:
                principals: [cluster.local/ns/foo/sa/sleep]
                notPrincipals: [a]
                requestPrincipals: [b]
                notRequestPrincipals: [c]
                namespaces: [foo]
                notNamespaces: [bar]
                ipBlocks: [10.0.0.0/8]
                notIpBlocks: [10.1.0.0/16]
                remoteIpBlocks: [1.2.3.4]
                notRemoteIpBlocks: [5.6.7.8]
            to:
            - operation:
                hosts: [a.example]
                notHosts: [b.example]
                ports: ["8080"]
                notPorts: ["9090"]
                methods: [GET]
                notMethods: [POST]
                paths: [/ip]
                notPaths: [/admin*]
            when:
            - key: request.headers[x-token]
              values: [t]
              notValues: [u]
          - {}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext, namespace: foo}
        spec:
          action: CUSTOM
          provider: {name: opa}
          rules: [{to: [{operation: {paths: [/admin]}}]}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny, namespace: foo}
        spec:
          action: DENY
          rules: [{from: [{source: {notPrincipals: ["*"]}}]}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-nothing, namespace: foo}
        spec: {}
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: DestinationRule
        metadata: {name: httpbin, namespace: foo}
        spec:
          host: httpbin.foo.svc.cluster.local
          exportTo: [".", bar]
          workloadSelector: {matchLabels: {app: sleep}}
          trafficPolicy:
            tls:
              mode: MUTUAL
              clientCertificate: /c.pem
              privateKey: /k.pem
              caCertificates: /ca.pem
              subjectAltNames: [spiffe://cluster.local/ns/foo/sa/httpbin]
              sni: httpbin.example
            portLevelSettings:
            - port: {number: 8000}
              tls: {mode: DISABLE}
            - port: {number: 9000}
          subsets:
          - name: v1
            labels: {version: v1}
            trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
          - name: v2
            trafficPolicy: {}
          - name: v3
            trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true}}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: Gateway
        metadata: {name: gateway, namespace: foo}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
            tls: {httpsRedirect: true}
          - port: {number: 443, name: https, protocol: HTTPS}
            hosts: [foo/httpbin.example.com]
            tls: {mode: SIMPLE, credentialName: httpbin-cred}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: httpbin, namespace: foo}
        spec:
          hosts: [httpbin.example.com]
          gateways: [gateway, mesh]
          exportTo: ["*"]
          http:
          - name: api
            match:
            - uri: {prefix: /api}
              method: {exact: GET}
              headers: {x-user: {regex: "a.*"}, x-b: {exact: b}}
              port: 80
              gateways: [gateway]
            - uri: {exact: /ip}
            route:
            - destination: {host: httpbin, subset: v1, port: {number: 8000}}
              weight: 90
            - destination: {host: httpbin}
              weight: 10
          - name: resilient
            match:
            - queryParams: {v: {exact: "2"}, debug: {prefix: "t"}}
            route:
            - destination: {host: httpbin}
            rewrite: {uri: /v2, authority: httpbin.internal}
            timeout: 1.25s
            retries: {attempts: 3}
            headers:
              request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}
              response: {remove: [server]}
            fault:
              delay: {fixedDelay: 0.3s, percentage: {value: 12.5}}
              abort: {httpStatus: 503, percentage: {value: 1}}
          tcp:
          - route: [{destination: {host: db, port: {number: 5432}}}]
        """;

    [Fact]
    public void Every_kind_reads_back_equal_from_its_json()
    {
        var original = ManifestReader.Read(EveryKind, "every.yaml", "foo");
        Assert.False(original.HasErrors, TestRead.Dump(original));
        // The one warning: an empty selector on a PeerAuthentication selects every workload.
        Assert.Equal("spec.selector", Assert.Single(original.Warnings).Path);
        Assert.Equal(16, original.Resources.Length);
        Assert.Equal(12, original.Resources.Select(r => r.Kind).Distinct().Count());
        foreach (var resource in original.Resources)
        {
            var json = ResourceJson.Serialize(resource);
            var back = ManifestReader.Read(json, "store.json");
            Assert.False(back.HasErrors, $"{resource.Ref}: {TestRead.Dump(back)}\n{json}");
            Assert.Equal(original.Warnings.Where(w => w.Document == resource.Source!.Document).Select(w => w.Message), back.Warnings.Select(w => w.Message));
            var again = Assert.Single(back.Resources);
            Assert.True(resource.Equals(again), $"{resource.Ref} changed in the round trip:\n{json}\n{ResourceJson.Serialize(again)}");
            Assert.Equal(json, ResourceJson.Serialize(again));
        }
    }

    /// <summary>Found by the manifest fuzz target: a route's timeout, retries, rewrite, headers and fault, and a match's
    /// queryParams, were left out of the JSON, so `meshwork apply` and the store dropped them.</summary>
    [Fact]
    public void A_routes_resilience_and_edits_survive_the_json_the_cli_and_the_store_use()
    {
        var vs = Assert.Single(ManifestReader.Read(EveryKind, "every.yaml", "foo").Resources.OfType<VirtualService>());
        var back = Assert.IsType<VirtualService>(Assert.Single(ManifestReader.Read(ResourceJson.Serialize(vs), "store.json").Resources));
        var route = back.Spec.Http[1];
        Assert.Equal(TimeSpan.FromMilliseconds(1250), route.Timeout);
        Assert.Equal(3, route.Retries!.Attempts);
        Assert.Equal("/v2", route.Rewrite!.Uri);
        Assert.Equal("1", route.Headers!.Request!.Set["x-a"]);
        Assert.Equal(TimeSpan.FromMilliseconds(300), route.Fault!.Delay!.FixedDelay);
        Assert.Equal(12.5, route.Fault.Delay.Percentage);
        Assert.Equal(503, route.Fault.Abort!.HttpStatus);
        Assert.Equal("exact:2", route.Match[0].QueryParams["v"]);
    }

    [Fact]
    public void Records_built_in_code_round_trip_too()
    {
        var pod = new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "web-7", Namespace = "foo", CreationTimestamp = new DateTimeOffset(2026, 5, 6, 7, 8, 9, 500, TimeSpan.FromHours(2)) },
            Spec = new PodSpec { Containers = [new Container { Name = "web", Image = "local", Env = [new EnvVar("PORT", "8080")] }] },
            Status = new PodStatus
            {
                Phase = "Running",
                PodIP = "127.0.0.3",
                StartTime = new DateTimeOffset(2026, 5, 6, 7, 8, 10, TimeSpan.Zero),
                ContainerStatuses = [new ContainerStatus { Name = "web", Ready = true, State = "running" }],
            },
        };
        var secret = new Secret
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "key", Namespace = "foo" },
            Data = ImmutableSortedDictionary<string, ImmutableArray<byte>>.Empty.Add("bin", [0, 255, 10, 13]),
        };
        foreach (var resource in new Resource[] { pod, secret })
        {
            var back = Assert.Single(ManifestReader.Read(ResourceJson.Serialize(resource), "x.json").Resources);
            Assert.Equal(resource, back);
        }
    }

    [Fact]
    public void Defaults_and_empty_fields_are_left_out()
    {
        var pa = TestRead.One<PeerAuthentication>("apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec:\n  mtls: {mode: STRICT}\n");
        Assert.Equal(
            """{"apiVersion":"security.istio.io/v1beta1","kind":"PeerAuthentication","metadata":{"name":"default","namespace":"foo"},"spec":{"mtls":{"mode":"STRICT"}}}""",
            ResourceJson.Serialize(pa));

        var ap = TestRead.One<AuthorizationPolicy>("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a, namespace: foo}\nspec: {}\n");
        Assert.Equal("""{"apiVersion":"security.istio.io/v1","kind":"AuthorizationPolicy","metadata":{"name":"a","namespace":"foo"},"spec":{}}""", ResourceJson.Serialize(ap));
    }

    [Fact]
    public void Pod_status_is_written_in_kubernetes_shape()
    {
        var pod = new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "p" },
            Spec = new PodSpec { Containers = [new Container { Name = "c", Image = "i" }] },
            Status = new PodStatus { Phase = "Running", ContainerStatuses = [new ContainerStatus { Name = "c", Ready = true, State = "running" }] },
        };
        Assert.Contains(
            "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}",
            ResourceJson.Serialize(pod), StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamps_are_utc_rfc3339_with_a_fraction_only_when_present()
    {
        Assert.Equal("2026-01-02T01:04:05Z", ResourceJson.Timestamp(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))));
        Assert.Equal("2026-01-02T03:04:05.25Z", ResourceJson.Timestamp(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 250, TimeSpan.Zero)));
    }
}
