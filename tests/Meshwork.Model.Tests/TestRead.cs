using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests;

/// <summary>Small helpers shared by the tests: read text, get the one resource, list the findings.</summary>
internal static class TestRead
{
    public static ManifestReadResult Yaml(string text, string? ns = null) => ManifestReader.Read(text, "test.yaml", ns);

    /// <summary>Reads a document that must be valid (warnings allowed) and returns its only resource.</summary>
    public static T One<T>(string text, string? ns = null) where T : Resource
    {
        var result = Yaml(text, ns);
        Assert.False(result.HasErrors, string.Join("\n", result.Errors));
        return Assert.IsType<T>(Assert.Single(result.Resources));
    }

    /// <summary>The single error of a document that must have exactly one.</summary>
    public static Diagnostic OneError(string text)
    {
        var result = Yaml(text);
        return Assert.Single(result.Errors);
    }

    public static string Dump(ManifestReadResult result) => string.Join("\n", result.Diagnostics);
}
