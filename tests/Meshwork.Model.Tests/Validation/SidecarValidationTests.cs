using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using static Meshwork.Model.Tests.TestRead;

namespace Meshwork.Model.Tests.Validation;

/// <summary>Reading and validating Istio's Sidecar: errors name the field, unsupported listeners are warned about.</summary>
public sealed class SidecarValidationTests
{
    [Fact]
    public void The_reference_page_s_example_reads_with_selector_hosts_and_mode()
    {
        var sidecar = One<Sidecar>("""
            apiVersion: networking.istio.io/v1beta1
            kind: Sidecar
            metadata: {name: ratings, namespace: prod-us1}
            spec:
              workloadSelector:
                labels:
                  app: ratings
              outboundTrafficPolicy:
                mode: REGISTRY_ONLY
              egress:
              - hosts:
                - "./*"
                - "istio-system/*"
            """);

        Assert.Equal("ratings", sidecar.Spec.WorkloadSelector!.MatchLabels["app"]);
        Assert.Equal(["./*", "istio-system/*"], Assert.Single(sidecar.Spec.Egress).Hosts.ToArray());
        Assert.Equal(OutboundTrafficMode.RegistryOnly, sidecar.Spec.OutboundTrafficPolicy);
    }

    [Theory]
    [InlineData("httpbin.foo.svc.cluster.local", "must be namespace/dnsName")]
    [InlineData("/*", "the namespace before / is empty")]
    [InlineData("foo/", "the dnsName after / is empty")]
    [InlineData("~/httpbin.foo", "~ (no namespace) only takes")]
    [InlineData("Foo_Bar/*", "namespace \"Foo_Bar\"")]
    [InlineData("foo/bad..host", "dnsName \"bad..host\"")]
    public void A_bad_egress_host_is_an_error_at_its_path(string host, string message)
    {
        var error = OneError($$"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: foo}
            spec:
              egress:
              - hosts: ["./*", "{{host}}"]
            """);

        Assert.Equal("spec.egress[0].hosts[1]", error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_mode_names_the_field_and_the_valid_values()
    {
        var error = OneError("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: foo}
            spec:
              outboundTrafficPolicy: {mode: REGISTRY_0NLY}
            """);

        Assert.Equal("spec.outboundTrafficPolicy.mode", error.Path);
        Assert.Contains("REGISTRY_ONLY", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_Sidecar_and_an_egress_listener_without_hosts_are_errors()
    {
        Assert.Equal("spec", OneError("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: foo}
            spec: {}
            """).Path);
        Assert.Equal("spec.egress[0].hosts", OneError("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: foo}
            spec:
              egress: [{}]
            """).Path);
    }

    [Fact]
    public void Ingress_listeners_and_egress_ports_are_warned_about_by_name()
    {
        var result = TestRead.Yaml("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: ratings, namespace: prod-us1}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: somename}
                defaultEndpoint: unix:///var/run/someuds.sock
              egress:
              - port: {number: 9080, protocol: HTTP, name: egresshttp}
                hosts: ["prod-us1/*"]
            """);

        Assert.False(result.HasErrors, Dump(result));
        Assert.Equal(["spec.egress[0].port", "spec.ingress"], result.Warnings.Select(w => w.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_Sidecar_reads_back_from_its_json_as_an_equal_record()
    {
        var sidecar = One<Sidecar>("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: foo}
            spec:
              workloadSelector: {labels: {app: web}}
              egress: [{hosts: ["./*"]}, {hosts: ["istio-system/*"]}]
              outboundTrafficPolicy: {mode: ALLOW_ANY}
            """);

        var again = One<Sidecar>(ResourceJson.Serialize(sidecar));

        Assert.Equal(sidecar.Spec, again.Spec);
    }
}
