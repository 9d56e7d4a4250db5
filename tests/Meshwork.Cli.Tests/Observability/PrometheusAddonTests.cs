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
        var read = ManifestReader.Read(PrometheusAddon.Manifest("/usr/bin/prometheus"), "addon");
        Assert.False(read.HasErrors, string.Join('\n', read.Diagnostics));

        var service = Assert.Single(read.Resources.OfType<Service>());
        Assert.Equal(("istio-system", "prometheus"), (service.Metadata.Namespace, service.Metadata.Name));
        Assert.Equal(9090, Assert.Single(service.Spec.Ports).Port);

        var deployment = Assert.Single(read.Resources.OfType<Deployment>());
        Assert.Equal("istio-system", deployment.Metadata.Namespace);
        Assert.True(deployment.Spec.Selector.Matches(deployment.Spec.Template.Labels));
        Assert.True(service.Spec.Selector.Matches(deployment.Spec.Template.Labels));
        Assert.Equal("false", deployment.Spec.Template.Annotations["sidecar.istio.io/inject"]);
        Assert.Equal("prometheus", deployment.Spec.Template.Annotations[AddonPodFiles.Annotation]);
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        // Its files are the ones the runtime gives the pod in its own folder (the working directory): no path of the machine.
        Assert.Equal<string>(
            ["/usr/bin/prometheus", "--config.file=addon/prometheus.yml", "--storage.tsdb.path=addon/data",
             "--storage.tsdb.retention.time=1d", "--web.listen-address=$(HOST):$(PORT_9090)"],
            [.. container.Command]);
    }

    [Fact]
    public void The_config_discovers_proxies_from_the_control_plane_over_its_root_with_the_discovery_token_beside_it()
    {
        var config = PrometheusAddon.Config("https://istiod.istio-system.svc:15012/");
        Assert.Contains("- url: \"https://istiod.istio-system.svc:15012/meshwork/v1/prometheus/targets\"", config, StringComparison.Ordinal);
        Assert.Contains("      type: Bearer\n      credentials_file: discovery-token\n", config, StringComparison.Ordinal);
        Assert.Contains("      ca_file: root-cert.pem\n", config, StringComparison.Ordinal);
        Assert.DoesNotContain("insecure_skip_verify", config, StringComparison.Ordinal);
        Assert.DoesNotContain("admin-token", config, StringComparison.Ordinal);
    }

    [Fact]
    public void Prometheus_reaches_istiod_as_the_pods_do_in_the_pod_network_mode_and_at_the_hosts_address_otherwise()
    {
        Assert.Equal("https://istiod.istio-system.svc:15012", PrometheusAddon.ControlPlaneUrl(podNetwork: true, "https://127.0.0.1:40000"));
        Assert.Equal("https://127.0.0.1:40000", PrometheusAddon.ControlPlaneUrl(podNetwork: false, "https://127.0.0.1:40000"));
    }

    [Fact]
    public void The_addons_files_hold_the_discovery_token_and_never_the_admin_token_each_readable_by_the_runtime_only()
    {
        var state = new StateDirectory(Directory.CreateTempSubdirectory("meshwork-addon-").FullName);
        try
        {
            File.WriteAllText(state.AdminTokenFile, "the-admin-token\n");
            File.WriteAllText(state.RootCertFile, "-----BEGIN CERTIFICATE-----\n");
            PrometheusAddon.WriteFiles(state, "https://127.0.0.1:40000");

            var folder = PrometheusAddon.Directory(state);
            Assert.Equal(["discovery-token", "prometheus.yml", "root-cert.pem"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var token = File.ReadAllText(Path.Combine(folder, "discovery-token")).Trim();
            Assert.Equal(DiscoveryToken.Derive("the-admin-token"), token);
            Assert.DoesNotContain(Directory.GetFiles(folder), f => File.ReadAllText(f).Contains("the-admin-token", StringComparison.Ordinal));
            if (OperatingSystem.IsWindows()) return;
            foreach (var file in Directory.GetFiles(folder))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }
        finally
        {
            Directory.Delete(state.Root, recursive: true);
        }
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
