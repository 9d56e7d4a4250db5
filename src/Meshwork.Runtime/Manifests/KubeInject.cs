using System.Text;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Pods;
using YamlDotNet.RepresentationModel;

namespace Meshwork.Runtime.Manifests;

/// <summary>
/// `istioctl kube-inject` for the local runtime: marks every pod template with
/// <c>sidecar.istio.io/inject: "true"</c>, so the runtime gives those pods a sidecar whatever
/// their namespace says. Everything else in the manifest is left as written.
/// </summary>
public static class KubeInject
{
    public static string InjectYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var output = new StringBuilder();
        var first = true;
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode root && Child(root, "spec") is YamlMappingNode spec
                && Child(spec, "template") is YamlMappingNode template)
            {
                var metadata = Child(template, "metadata") as YamlMappingNode ?? Add(template, "metadata");
                var annotations = Child(metadata, "annotations") as YamlMappingNode ?? Add(metadata, "annotations");
                annotations.Children[new YamlScalarNode(SidecarInjection.PodAnnotation)] =
                    new YamlScalarNode("true") { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted };
            }
            if (!first) output.Append("---\n");
            first = false;
            var one = new YamlStream(document);
            using var writer = new StringWriter();
            one.Save(writer, assignAnchors: false);
            var text = writer.ToString();
            // YamlStream ends each document with "...": drop it, "---" separates documents.
            text = text.TrimEnd();
            if (text.EndsWith("...", StringComparison.Ordinal)) text = text[..^3].TrimEnd();
            output.Append(text).Append('\n');
        }
        return output.ToString();
    }

    /// <summary>The same transformation on parsed resources (what `meshwork demo` applies).</summary>
    public static IReadOnlyList<Resource> Inject(IEnumerable<Resource> resources) =>
        [.. resources.Select(r => r is Deployment d
            ? d with
            {
                Spec = d.Spec with
                {
                    Template = d.Spec.Template with
                    {
                        Annotations = d.Spec.Template.Annotations.SetItem(SidecarInjection.PodAnnotation, "true"),
                    },
                },
            }
            : r)];

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static YamlMappingNode Add(YamlMappingNode parent, string key)
    {
        var child = new YamlMappingNode();
        parent.Children[new YamlScalarNode(key)] = child;
        return child;
    }
}
