using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Pods;

/// <summary>Pod names as Kubernetes gives them: &lt;deployment&gt;-&lt;pod-template-hash&gt;-&lt;5 random&gt;.</summary>
public static class PodNaming
{
    public const string TemplateHashLabel = "pod-template-hash";

    // Kubernetes' alphabet for generated names: no vowels, no look-alike characters.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>A stable hash of the pod template: the same template gives the same value in every run.</summary>
    public static string TemplateHash(PodTemplate template)
    {
        var canonical = new StringBuilder();
        void Map(string section, IEnumerable<KeyValuePair<string, string>> pairs)
        {
            canonical.Append(section).Append('{');
            foreach (var (key, value) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal)) canonical.Append(key).Append('=').Append(value).Append(';');
            canonical.Append('}');
        }
        Map("labels", template.Labels);
        Map("annotations", template.Annotations);
        canonical.Append("sa=").Append(template.Spec.ServiceAccountName).Append(';');
        foreach (var container in template.Spec.Containers)
        {
            canonical.Append("container{").Append(container.Name).Append(';').Append(container.Image).Append(';')
                .Append(JsonSerializer.Serialize(container.Command.IsDefault ? [] : container.Command.ToArray())).Append(';')
                .Append(JsonSerializer.Serialize(container.Args.IsDefault ? [] : container.Args.ToArray())).Append(';');
            Map("env", container.Env.IsDefault ? [] : container.Env.Select(e => KeyValuePair.Create(e.Name, e.Value)));
            foreach (var port in container.Ports.IsDefault ? [] : container.Ports) canonical.Append("port=").Append(port.Port).Append('/').Append(port.Name).Append(';');
            canonical.Append('}');
        }
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString()));
        var value = BitConverter.ToUInt64(digest, 0);
        var name = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            name.Append(Alphabet[(int)(value % (ulong)Alphabet.Length)]);
            value /= (ulong)Alphabet.Length;
        }
        return name.ToString();
    }

    public static string RandomSuffix(int length = 5)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++) chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(chars);
    }

    public static string NewPodName(string deployment, string templateHash) => $"{deployment}-{templateHash}-{RandomSuffix()}";
}
