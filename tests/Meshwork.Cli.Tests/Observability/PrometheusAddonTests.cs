using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.Runtime.Addons;

namespace Meshwork.Cli.Tests.Observability;

/// <summary>What `meshwork up --addons prometheus` applies and writes.</summary>
public sealed class PrometheusAddonTests
{
    private static readonly StateDirectory State = new("/srv/mesh state");

    [Fact]
    public void The_manifest_is_a_prometheus_Service_on_9090_and_a_Deployment_without_a_sidecar_running_the_given_binary()
    {
        var read = ManifestReader.Read(PrometheusAddon.Manifest(State, "/usr/bin/prometheus"), "addon");
        Assert.False(read.HasErrors, string.Join('\n', read.Diagnostics));

        var service = Assert.Single(read.Resources.OfType<Service>());
        Assert.Equal(("istio-system", "prometheus"), (service.Metadata.Namespace, service.Metadata.Name));
        Assert.Equal(9090, Assert.Single(service.Spec.Ports).Port);

        var deployment = Assert.Single(read.Resources.OfType<Deployment>());
        Assert.Equal("istio-system", deployment.Metadata.Namespace);
        Assert.True(deployment.Spec.Selector.Matches(deployment.Spec.Template.Labels));
        Assert.True(service.Spec.Selector.Matches(deployment.Spec.Template.Labels));
        Assert.Equal("false", deployment.Spec.Template.Annotations["sidecar.istio.io/inject"]);
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.Equal<string>(
            ["/usr/bin/prometheus", "--config.file=/srv/mesh state/addons/prometheus/prometheus.yml", "--storage.tsdb.path=/srv/mesh state/addons/prometheus/data",
             "--storage.tsdb.retention.time=1d", "--web.listen-address=$(HOST):$(PORT_9090)"],
            [.. container.Command]);
    }

    [Fact]
    public void The_config_discovers_proxies_from_the_control_plane_over_its_root_with_the_admin_token_file()
    {
        var config = PrometheusAddon.Config(State, "https://127.0.0.1:15012/");
        Assert.Contains("- url: \"https://127.0.0.1:15012/meshwork/v1/prometheus/targets\"", config, StringComparison.Ordinal);
        Assert.Contains("      type: Bearer\n      credentials_file: \"/srv/mesh state/admin-token\"", config, StringComparison.Ordinal);
        Assert.Contains("      ca_file: \"/srv/mesh state/root-cert.pem\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain("insecure_skip_verify", config, StringComparison.Ordinal);
    }

    [Fact]
    public void The_binary_is_found_on_the_search_path_or_not_at_all()
    {
        var folder = Directory.CreateTempSubdirectory("meshwork-addon-").FullName;
        try
        {
            Assert.Null(PrometheusAddon.FindBinary(folder));
            File.WriteAllText(Path.Combine(folder, "prometheus"), "");
            Assert.Equal(Path.Combine(folder, "prometheus"), PrometheusAddon.FindBinary($"/nonexistent:{folder}"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
