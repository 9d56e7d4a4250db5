using System.Reflection;

namespace Meshwork.Samples;

/// <summary>The tutorials' manifests (samples/&lt;tutorial&gt;/*.yaml), embedded in the binary.</summary>
public static class SampleManifests
{
    private const string Prefix = "manifests/";

    /// <summary>Text of samples/<paramref name="tutorial"/>/<paramref name="file"/>.</summary>
    public static string Read(string tutorial, string file)
    {
        var name = $"{Prefix}{tutorial}/{file}";
        using var stream = typeof(SampleManifests).Assembly.GetManifestResourceStream(name)
            ?? throw new FileNotFoundException($"no embedded sample manifest {tutorial}/{file}", name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>File names of one tutorial's manifests, sorted.</summary>
    public static IReadOnlyList<string> List(string tutorial)
    {
        var prefix = $"{Prefix}{tutorial}/";
        return [.. typeof(SampleManifests).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..])
            .Order(StringComparer.Ordinal)];
    }
}
