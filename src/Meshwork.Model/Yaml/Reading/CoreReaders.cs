using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Typed readers for the Kubernetes kinds (core/v1 and apps/v1).</summary>
internal static class CoreReaders
{
    public static readonly string[] ServiceTypes = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    public static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];
    public static readonly string[] PodPhases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

    public static ObjectMeta Metadata(MapReader m)
    {
        var meta = new ObjectMeta
        {
            Name = m.String("name") ?? "",
            Namespace = m.String("namespace"),
            Labels = m.StringMap("labels"),
            Annotations = m.StringMap("annotations"),
            CreationTimestamp = Timestamp(m, "creationTimestamp"),
            ResourceVersion = m.String("resourceVersion"),
            Uid = m.String("uid"),
            Generation = m.Long("generation") ?? 0,
            ManagedFields = m.Objects("managedFields", ManagedFieldsReader.Entry),
        };
        m.Unsupported("generateName", "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds");
        // Written by API servers for their own bookkeeping; it carries no intent.
        m.Accept("selfLink");
        m.Finish();
        return meta;
    }

    public static DateTimeOffset? Timestamp(MapReader m, string key)
    {
        if (m.String(key) is not { } text) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)) return value;
        m.Context.Error(m.Child(key), $"invalid timestamp \"{text}\"", "use RFC 3339, e.g. 2024-01-02T15:04:05Z");
        return null;
    }

    public static Namespace Namespace(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var spec = top.Map("spec");
        spec.Unsupported("finalizers");
        spec.Finish();
        return new Namespace { ApiVersion = apiVersion, Metadata = meta };
    }

    public static ServiceAccount ServiceAccount(MapReader top, string apiVersion, ObjectMeta meta)
    {
        top.Unsupported("secrets", "imagePullSecrets", "automountServiceAccountToken");
        return new ServiceAccount { ApiVersion = apiVersion, Metadata = meta };
    }

    public static ConfigMap ConfigMap(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var data = top.StringMap("data");
        top.Unsupported("binaryData", "immutable");
        return new ConfigMap { ApiVersion = apiVersion, Metadata = meta, Data = data };
    }

    public static Secret Secret(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var ctx = top.Context;
        var builder = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<byte>>(StringComparer.Ordinal);
        foreach (var (key, value) in top.StringMap("data"))
        {
            var compact = value.Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);
            var buffer = new byte[compact.Length];
            if (Convert.TryFromBase64String(compact, buffer, out var written))
            {
                builder[key] = ImmutableArray.Create(buffer, 0, written);
            }
            else
            {
                ctx.Error($"data[{key}]", "value is not valid base64", "put plain text under stringData instead, or encode it with base64");
            }
        }
        // stringData is write-only convenience: its keys win over data's, as the API server merges them.
        foreach (var (key, value) in top.StringMap("stringData"))
        {
            builder[key] = [.. System.Text.Encoding.UTF8.GetBytes(value)];
        }
        var type = top.String("type") ?? "Opaque";
        top.Unsupported("immutable");
        return new Secret { ApiVersion = apiVersion, Metadata = meta, Type = type, Data = builder.ToImmutable() };
    }

    public static Service Service(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var spec = new ServiceSpec
        {
            Selector = new LabelSelector(m.StringMap("selector")),
            Ports = m.Objects("ports", ServicePort),
            Type = m.EnumString("type", ServiceTypes) ?? "ClusterIP",
            ClusterIp = ClusterIp(m),
        };
        m.Unsupported("externalIPs", "externalName", "externalTrafficPolicy", "internalTrafficPolicy",
            "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy", "loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass",
            "allocateLoadBalancerNodePorts", "publishNotReadyAddresses", "sessionAffinity", "sessionAffinityConfig", "trafficDistribution");
        m.Finish();
        return new Service { ApiVersion = apiVersion, Metadata = meta, Spec = spec, Status = ServiceStatus(top.Map("status")) };
    }

    /// <summary>
    /// spec.clusterIP: an IPv4 address or "None" (headless). spec.clusterIPs, which the API server
    /// echoes back, is accepted when it says the same single address.
    /// </summary>
    private static string? ClusterIp(MapReader m)
    {
        var raw = m.Raw("clusterIP");
        var text = m.String("clusterIP");
        if (text is not null && text != "None"
            && !(System.Net.IPAddress.TryParse(text, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && address.ToString() == text))
        {
            m.Context.Error(raw!, m.Child("clusterIP"), $"invalid value \"{text}\"", "an IPv4 address such as 10.96.0.10, or None for a headless Service");
            return null;
        }
        var list = m.Strings("clusterIPs");
        if (!list.IsDefaultOrEmpty && (list.Length != 1 || list[0] != text))
        {
            m.Context.Error(m.Raw("clusterIPs")!, m.Child("clusterIPs"), "must hold exactly spec.clusterIP", "set only spec.clusterIP");
        }
        return text;
    }

    /// <summary>status.loadBalancer.ingress[].ip, as the runtime writes it for a LoadBalancer Service.</summary>
    private static ServiceStatus ServiceStatus(MapReader m)
    {
        if (!m.Present) return new ServiceStatus();
        var loadBalancer = m.Map("loadBalancer");
        var ingress = loadBalancer.Objects("ingress", i =>
        {
            var ip = i.String("ip");
            i.Accept("hostname", "ipMode", "ports");
            i.Finish();
            return ip;
        });
        loadBalancer.Finish();
        m.Accept("conditions");
        m.Finish();
        return new ServiceStatus { LoadBalancerIngress = [.. ingress.OfType<string>()] };
    }

    private static ServicePort ServicePort(MapReader m)
    {
        var port = new ServicePort
        {
            Name = m.String("name"),
            Port = m.Int("port", min: 1, max: 65535) ?? 0,
            TargetPort = IntOrString(m, "targetPort"),
            Protocol = m.EnumString("protocol", Protocols) ?? "TCP",
            AppProtocol = m.String("appProtocol"),
        };
        m.Unsupported("nodePort");
        m.Finish();
        return port;
    }

    /// <summary>
    /// Kubernetes IntOrString: an unquoted number is a port number; a string is a port name. A quoted
    /// number is a string to Kubernetes and then fails name validation, so it is reported here.
    /// </summary>
    public static IntOrString? IntOrString(MapReader m, string key)
    {
        if (m.Raw(key) is not { } node) return null;
        var path = m.Child(key);
        if (node is ScalarNode { Type: ScalarType.Int })
        {
            return m.Context.IntegerOf(node, path, allowQuoted: false, 1, 65535) is { } n ? Resources.IntOrString.Of((int)n) : null;
        }
        if (node is ScalarNode { Type: ScalarType.String } s)
        {
            if (s.Value.Length > 0 && s.Value.All(char.IsAsciiDigit))
            {
                m.Context.Error(node, path, $"\"{s.Value}\" is a string, so it names a port; a port name must contain a letter", $"remove the quotes to give port number {s.Value}");
                return null;
            }
            return Resources.IntOrString.Of(s.Value);
        }
        m.Context.Error(node, path, $"expected a port number or name, got {ReadContext.Describe(node)}");
        return null;
    }

    public static Deployment Deployment(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var replicas = m.Int("replicas") ?? 1;
        var selector = Selector(m.Map("selector"), allowExpressions: true);
        var t = m.Map("template");
        var tm = t.Map("metadata");
        var labels = tm.StringMap("labels");
        var annotations = tm.StringMap("annotations");
        tm.Accept("name", "namespace", "creationTimestamp", "generateName");
        tm.Finish();
        var podSpec = PodSpec(t.Map("spec"));
        t.Finish();
        m.Unsupported("strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused");
        m.Finish();
        var status = DeploymentStatus(top.Map("status"));
        return new Deployment
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new DeploymentSpec
            {
                Replicas = replicas,
                Selector = selector ?? LabelSelector.Empty,
                Template = new PodTemplate { Labels = labels, Annotations = annotations, Spec = podSpec },
            },
            Status = status,
        };
    }

    /// <summary>A Kubernetes LabelSelector. matchExpressions is known but not evaluated by Meshwork.</summary>
    public static LabelSelector? Selector(MapReader m, bool allowExpressions)
    {
        if (!m.Present) return null;
        var labels = m.StringMap("matchLabels");
        if (allowExpressions) m.UnsupportedBecause("matchExpressions", "only matchLabels selects pods in Meshwork");
        m.Finish();
        return new LabelSelector(labels);
    }

    private static DeploymentStatus DeploymentStatus(MapReader m)
    {
        var status = new DeploymentStatus
        {
            ObservedGeneration = m.Long("observedGeneration") ?? 0,
            Replicas = m.Int("replicas") ?? 0,
            UpdatedReplicas = m.Int("updatedReplicas") ?? 0,
            ReadyReplicas = m.Int("readyReplicas") ?? 0,
            AvailableReplicas = m.Int("availableReplicas") ?? 0,
            UnavailableReplicas = m.Int("unavailableReplicas") ?? 0,
        };
        m.Accept("conditions", "collisionCount", "terminatingReplicas");
        m.Finish();
        return status;
    }

    public static Pod Pod(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var spec = PodSpec(top.Map("spec"));
        var status = PodStatus(top.Map("status"));
        return new Pod { ApiVersion = apiVersion, Metadata = meta, Spec = spec, Status = status };
    }

    private static PodSpec PodSpec(MapReader m)
    {
        var serviceAccount = m.String("serviceAccountName");
        // serviceAccount is the deprecated alias Kubernetes still fills in; the name field wins.
        var alias = m.String("serviceAccount");
        var spec = new PodSpec
        {
            ServiceAccountName = serviceAccount ?? alias ?? "default",
            Containers = m.Objects("containers", Container),
            NodeName = m.String("nodeName"),
            NodeSelector = m.StringMap("nodeSelector"),
        };
        m.Unsupported("initContainers", "ephemeralContainers", "volumes", "affinity", "tolerations",
            "restartPolicy", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "dnsConfig", "hostNetwork",
            "hostPID", "hostIPC", "hostUsers", "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain",
            "hostAliases", "schedulerName", "priorityClassName", "priority", "preemptionPolicy", "readinessGates", "runtimeClassName",
            "enableServiceLinks", "topologySpreadConstraints", "overhead", "setHostnameAsFQDN", "os", "schedulingGates",
            "resourceClaims", "resources", "automountServiceAccountToken");
        m.Finish();
        return spec;
    }

    private static Container Container(MapReader m)
    {
        var ports = m.Objects("ports", ContainerPort);
        var container = new Container
        {
            Name = m.String("name") ?? "",
            Image = m.String("image"),
            Command = m.Strings("command"),
            Args = m.Strings("args"),
            Env = m.Objects("env", Env),
            Ports = ports,
            ReadinessProbe = ProbeReader.Read(m, "readinessProbe", ports, liveness: false),
            LivenessProbe = ProbeReader.Read(m, "livenessProbe", ports, liveness: true),
        };
        m.Unsupported("imagePullPolicy", "resources", "resizePolicy", "restartPolicy", "startupProbe",
            "lifecycle", "volumeMounts", "volumeDevices", "workingDir", "envFrom", "securityContext", "terminationMessagePath",
            "terminationMessagePolicy", "stdin", "stdinOnce", "tty");
        m.Finish();
        return container;
    }

    private static EnvVar Env(MapReader m)
    {
        var env = new EnvVar(m.String("name") ?? "", m.String("value") ?? "");
        m.Unsupported("valueFrom");
        m.Finish();
        return env;
    }

    private static ContainerPort ContainerPort(MapReader m)
    {
        var port = new ContainerPort
        {
            Port = m.Int("containerPort", min: 1, max: 65535) ?? 0,
            Name = m.String("name"),
            Protocol = m.EnumString("protocol", Protocols) ?? "TCP",
        };
        m.Unsupported("hostPort", "hostIP");
        m.Finish();
        return port;
    }

    private static PodStatus PodStatus(MapReader m)
    {
        var status = new PodStatus
        {
            Phase = m.EnumString("phase", PodPhases) ?? "Pending",
            Reason = m.String("reason"),
            PodIP = m.String("podIP"),
            StartTime = Timestamp(m, "startTime"),
            ContainerStatuses = m.Objects("containerStatuses", ContainerStatus),
        };
        m.Accept("message", "hostIP", "hostIPs", "podIPs", "conditions", "qosClass", "initContainerStatuses",
            "ephemeralContainerStatuses", "nominatedNodeName", "resize", "resourceClaimStatuses", "observedGeneration");
        m.Finish();
        return status;
    }

    private static ContainerStatus ContainerStatus(MapReader m)
    {
        var status = new ContainerStatus
        {
            Name = m.String("name") ?? "",
            Ready = m.Bool("ready") ?? false,
            RestartCount = m.Int("restartCount") ?? 0,
            State = ContainerState(m),
        };
        m.Accept("image", "imageID", "containerID", "started", "lastState", "allocatedResources", "resources", "user",
            "volumeMounts", "allocatedResourcesStatus", "stopSignal");
        m.Finish();
        return status;
    }

    /// <summary>Kubernetes writes the state as an object with one key (waiting, running or terminated).</summary>
    private static string ContainerState(MapReader m)
    {
        var state = m.Map("state");
        if (!state.Present) return "waiting";
        string? found = null;
        foreach (var key in (string[])["waiting", "running", "terminated"])
        {
            state.Raw(key);
            if (found is null && state.Node!.TryGet(key, out _, out _)) found = key;
        }
        state.Finish();
        return found ?? "waiting";
    }
}
