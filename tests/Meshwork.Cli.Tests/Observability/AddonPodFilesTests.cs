using System.Collections.Immutable;
using System.Net;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Addons;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Tests.Observability;

/// <summary>What the runtime gives an addon's pod in its own folder, and the pods it gives nothing.</summary>
public sealed class AddonPodFilesTests : IDisposable
{
    private readonly StateDirectory _state = new(Directory.CreateTempSubdirectory("meshwork-addon-").FullName);

    [Fact]
    public void The_prometheus_pod_gets_the_addons_files_in_its_own_folder_readable_by_its_owner_alone()
    {
        WriteAddonFiles();
        var pod = Pod("istio-system", PrometheusAddon.Name);
        AddonPodFiles.Stage(pod, _state, owner: null);

        var folder = Path.Combine(pod.Directory, AddonPodFiles.Folder);
        Assert.Equal(["discovery-token", "prometheus.yml", "root-cert.pem"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllText(Path.Combine(PrometheusAddon.Directory(_state), "discovery-token")), File.ReadAllText(Path.Combine(folder, "discovery-token")));
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        foreach (var file in Directory.GetFiles(folder)) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Theory]
    [InlineData("foo", "prometheus")]
    [InlineData("istio-system", "grafana")]
    [InlineData("istio-system", "../..")]
    public void A_pod_that_names_an_unknown_addon_or_runs_outside_istio_system_is_stopped_with_nothing_given(string @namespace, string addon)
    {
        WriteAddonFiles();
        var pod = Pod(@namespace, addon);
        var refused = Assert.Throws<PodPlanException>(() => AddonPodFiles.Stage(pod, _state, owner: null));
        Assert.Contains(AddonPodFiles.Annotation, refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(pod.Directory, AddonPodFiles.Folder)));
    }

    [Fact]
    public void A_pod_without_the_annotation_gets_nothing()
    {
        WriteAddonFiles();
        var pod = Pod("istio-system", addon: null);
        AddonPodFiles.Stage(pod, _state, owner: null);
        Assert.False(Directory.Exists(Path.Combine(pod.Directory, AddonPodFiles.Folder)));
    }

    private void WriteAddonFiles()
    {
        File.WriteAllText(_state.AdminTokenFile, "the-admin-token\n");
        File.WriteAllText(_state.RootCertFile, "-----BEGIN CERTIFICATE-----\n");
        PrometheusAddon.WriteFiles(_state, "https://127.0.0.1:40000");
    }

    private PodPlan Pod(string @namespace, string? addon) => new()
    {
        Namespace = @namespace,
        Name = "prometheus-1",
        Deployment = "prometheus",
        TemplateHash = "1",
        PodIp = IPAddress.Loopback,
        Sidecar = false,
        Directory = _state.PodDirectory(@namespace, "prometheus-1"),
        Labels = ImmutableSortedDictionary<string, string>.Empty,
        Annotations = addon is null
            ? ImmutableSortedDictionary<string, string>.Empty
            : ImmutableSortedDictionary<string, string>.Empty.Add(AddonPodFiles.Annotation, addon),
        Spec = new PodSpec(),
        Containers = [],
    };

    public void Dispose() => Directory.Delete(_state.Root, recursive: true);
}
