using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests;

/// <summary>Every manifest of the tutorials in the shared seeds reads without errors.</summary>
public class SeedTests
{
    private static string SeedPath(string name) => Path.Combine(AppContext.BaseDirectory, "Seeds", name);

    public static TheoryData<string> SeedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Seeds"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void Seed_manifest_reads_without_errors(string name)
    {
        var result = ManifestReader.ReadPaths([SeedPath(name)], "default");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.NotEmpty(result.Resources);
    }

    [Fact]
    public void Customers_manifest_gives_the_three_resources_with_their_settings()
    {
        var result = ManifestReader.ReadPaths([SeedPath("000-customers-v1.yaml")], "default");
        Assert.Collection(result.Resources,
            r =>
            {
                var d = Assert.IsType<Deployment>(r);
                Assert.Equal("default", d.Metadata.Namespace);
                Assert.Equal(3000, Assert.Single(Assert.Single(d.Spec.Template.Spec.Containers).Ports).Port);
            },
            r =>
            {
                var s = Assert.IsType<Service>(r);
                var port = Assert.Single(s.Spec.Ports);
                Assert.Equal((80, 3000, "http"), (port.Port, port.TargetPort?.Number, port.MeshProtocol));
            },
            r => Assert.Equal("customers.default.svc.cluster.local", Assert.IsType<VirtualService>(r).Spec.Http[0].Route[0].Destination.Host));
        // imagePullPolicy is Kubernetes' and means nothing to a local process: said, not hidden.
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("spec.template.spec.containers[0].imagePullPolicy", warning.Path);
        Assert.Equal(1, warning.Document);
    }

    [Fact]
    public void Namespace_less_policy_takes_the_namespace_given_on_apply()
    {
        var result = ManifestReader.ReadPaths([SeedPath("003-mtls-ns.yaml")], "foo");
        var pa = Assert.IsType<PeerAuthentication>(Assert.Single(result.Resources));
        Assert.Equal(("foo", MtlsMode.Strict), (pa.Metadata.Namespace, pa.Spec.Mode));
    }

    [Fact]
    public void Selector_with_a_dotted_label_value_is_kept()
    {
        var result = ManifestReader.ReadPaths([SeedPath("004-frontend-permissive.yaml")]);
        var pa = Assert.IsType<PeerAuthentication>(Assert.Single(result.Resources));
        Assert.Equal("frontend.hipstershopv1v2.svc.cluster.local", pa.Spec.Selector!.MatchLabels["app"]);
        Assert.Equal(MtlsMode.Permissive, pa.Spec.Mode);
    }

    [Fact]
    public void Gateway_as_printed_in_seed_001_is_one_syntax_error_at_the_misindented_line()
    {
        var result = ManifestReader.Read(File.ReadAllText(SeedPath("001-gateway-as-printed.yaml.txt")), "gateway.yaml");
        Assert.Empty(result.Resources);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal((Severity.Error, 1, 13, 5), (error.Severity, error.Document, error.Line, error.Column));
        Assert.StartsWith("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_policies_without_a_separator_are_reported_as_duplicate_keys_with_a_hint_to_split()
    {
        var result = ManifestReader.Read(File.ReadAllText(SeedPath("002-zero-trust-as-printed.yaml.txt")), "zero-trust.yaml");
        Assert.Empty(result.Resources);
        var duplicate = result.Errors.First(e => e.Message.Contains("duplicate key \"apiVersion\"", StringComparison.Ordinal));
        Assert.Equal(11, duplicate.Line);
        Assert.Contains("---", duplicate.Hint, StringComparison.Ordinal);
    }
}
