using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>Service: ports present, named when there are several, unique; named target ports well formed.</summary>
internal sealed class ServiceValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not Service service) return;
        var spec = service.Spec;
        Labels(ctx, "spec.selector", spec.Selector.MatchLabels);
        if (spec.Ports.IsEmpty && spec.Type != "ExternalName" && !ctx.Has("spec.clusterIP"))
        {
            ctx.Error("spec.ports", "missing spec.ports", "a Service needs at least one port: ports: [{name: http, port: 80, targetPort: 8080}]");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ports = new HashSet<(int, string)>();
        for (var i = 0; i < spec.Ports.Length; i++)
        {
            var port = spec.Ports[i];
            var path = $"spec.ports[{i}]";
            if (port.Port == 0 && !ctx.Has($"{path}.port"))
            {
                ctx.Error($"{path}.port", "missing port", "give the port clients connect to, e.g. port: 80");
            }
            if (string.IsNullOrEmpty(port.Name))
            {
                if (spec.Ports.Length > 1)
                {
                    ctx.Error($"{path}.name", "a port name is required when a Service has more than one port", "name it after its protocol, e.g. http or tcp-db, so Istio's protocol selection works");
                }
            }
            else
            {
                if (Names.Dns1123Label(port.Name) is { } problem) ctx.Error($"{path}.name", $"invalid port name \"{port.Name}\": {problem}");
                if (!names.Add(port.Name)) ctx.Error($"{path}.name", $"duplicate port name \"{port.Name}\"");
            }
            if (port.Port != 0 && !ports.Add((port.Port, port.Protocol)))
            {
                ctx.Error($"{path}.port", $"duplicate port {port.Port}/{port.Protocol}");
            }
            if (port.TargetPort?.Name is { } targetName && Names.PortName(targetName) is { } targetProblem)
            {
                ctx.Error($"{path}.targetPort", $"invalid target port name \"{targetName}\": {targetProblem}", "give a container port number, or the name of a container port");
            }
        }
    }
}

/// <summary>Deployment and Pod: containers, their names and ports; a Deployment's selector matches its template.</summary>
internal sealed class WorkloadValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        switch (resource)
        {
            case Deployment deployment:
                ValidateDeployment(deployment, ctx);
                break;
            case Pod pod:
                PodSpec(pod.Spec, "spec", ctx);
                break;
        }
    }

    private static void ValidateDeployment(Deployment deployment, ReadContext ctx)
    {
        var spec = deployment.Spec;
        if (spec.Replicas < 0) ctx.Error("spec.replicas", $"replicas must not be negative, got {spec.Replicas}");
        if (spec.Selector.IsEmpty && !ctx.Has("spec.selector.matchExpressions"))
        {
            ctx.Error("spec.selector", "missing spec.selector.matchLabels", "apps/v1 Deployments must select their pods, e.g. selector: {matchLabels: {app: web}}");
        }
        else
        {
            Labels(ctx, "spec.selector.matchLabels", spec.Selector.MatchLabels);
            if (!spec.Selector.Matches(spec.Template.Labels))
            {
                var missing = spec.Selector.MatchLabels
                    .Where(l => !spec.Template.Labels.TryGetValue(l.Key, out var v) || v != l.Value)
                    .Select(l => $"{l.Key}={l.Value}");
                ctx.Error("spec.template.metadata.labels", "selector does not match template labels",
                    $"add {string.Join(", ", missing)} to spec.template.metadata.labels, or change spec.selector.matchLabels");
            }
        }
        Labels(ctx, "spec.template.metadata.labels", spec.Template.Labels);
        Labels(ctx, "spec.template.metadata.annotations", spec.Template.Annotations, checkValues: false);
        PodSpec(spec.Template.Spec, "spec.template.spec", ctx);
    }

    private static void PodSpec(PodSpec spec, string path, ReadContext ctx)
    {
        if (Names.Dns1123Subdomain(spec.ServiceAccountName) is { } saProblem)
        {
            ctx.Error($"{path}.serviceAccountName", $"invalid service account name \"{spec.ServiceAccountName}\": {saProblem}");
        }
        if (spec.Containers.IsEmpty)
        {
            ctx.Error($"{path}.containers", "missing containers", "a pod needs at least one container: containers: [{name: app, image: ..., command: [...]}]");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var portNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Containers.Length; i++)
        {
            var c = spec.Containers[i];
            var cpath = $"{path}.containers[{i}]";
            if (c.Name.Length == 0) ctx.Error($"{cpath}.name", "missing container name");
            else if (Names.Dns1123Label(c.Name) is { } problem) ctx.Error($"{cpath}.name", $"invalid container name \"{c.Name}\": {problem}");
            else if (!names.Add(c.Name)) ctx.Error($"{cpath}.name", $"duplicate container name \"{c.Name}\"");
            if (string.IsNullOrEmpty(c.Image)) ctx.Error($"{cpath}.image", "missing image", "Kubernetes requires an image for every container");
            for (var e = 0; e < c.Env.Length; e++)
            {
                if (c.Env[e].Name.Length == 0) ctx.Error($"{cpath}.env[{e}].name", "missing environment variable name");
            }
            for (var p = 0; p < c.Ports.Length; p++)
            {
                var port = c.Ports[p];
                var ppath = $"{cpath}.ports[{p}]";
                if (port.Port == 0 && !ctx.Has($"{ppath}.containerPort")) ctx.Error($"{ppath}.containerPort", "missing containerPort");
                if (port.Name is { } portName)
                {
                    if (Names.PortName(portName) is { } problem) ctx.Error($"{ppath}.name", $"invalid port name \"{portName}\": {problem}");
                    else if (!portNames.Add(portName)) ctx.Error($"{ppath}.name", $"duplicate port name \"{portName}\" in this pod");
                }
            }
        }
    }
}
