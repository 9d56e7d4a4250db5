using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// A container's readinessProbe or livenessProbe, checked as the API server checks it: exactly one
/// handler, timings within their bounds, a liveness probe's successThreshold of 1, and a named port
/// that one of the container's ports carries.
/// </summary>
internal static class ProbeReader
{
    private static readonly string[] Schemes = ["HTTP", "HTTPS"];

    public static Probe? Read(MapReader container, string key, ImmutableArray<ContainerPort> ports, bool liveness)
    {
        var m = container.Map(key);
        if (!m.Present) return null;
        var handlers = new List<string>();
        HttpGetAction? httpGet = null;
        TcpSocketAction? tcpSocket = null;
        ExecAction? exec = null;
        if (m.Map("httpGet") is { Present: true } h)
        {
            handlers.Add("httpGet");
            httpGet = HttpGet(h, ports);
        }
        if (m.Map("tcpSocket") is { Present: true } t)
        {
            handlers.Add("tcpSocket");
            tcpSocket = TcpSocket(t, ports);
        }
        if (m.Map("exec") is { Present: true } e)
        {
            handlers.Add("exec");
            exec = Exec(e);
        }
        if (m.Raw("grpc") is { } grpc)
        {
            m.Context.Error(grpc, m.Child("grpc"), "grpc probes are not supported", "probe with httpGet, tcpSocket or exec");
        }
        else if (handlers.Count == 0)
        {
            m.Context.Error(m.Path, "must specify a handler type", "give one of httpGet, tcpSocket or exec");
        }
        else if (handlers.Count > 1)
        {
            m.Context.Error(m.Path, $"may not specify more than 1 handler type (found {string.Join(", ", handlers)})", "keep one of them");
        }
        var probe = new Probe
        {
            HttpGet = httpGet,
            TcpSocket = tcpSocket,
            Exec = exec,
            InitialDelaySeconds = m.Int("initialDelaySeconds", min: 0) ?? 0,
            PeriodSeconds = m.Int("periodSeconds", min: 1) ?? 10,
            TimeoutSeconds = m.Int("timeoutSeconds", min: 1) ?? 1,
            SuccessThreshold = m.Int("successThreshold", min: 1) ?? 1,
            FailureThreshold = m.Int("failureThreshold", min: 1) ?? 3,
        };
        if (liveness && probe.SuccessThreshold != 1)
        {
            m.Context.Error(m.Child("successThreshold"), "must be 1 for a liveness probe", "remove successThreshold or set it to 1");
        }
        m.Unsupported("terminationGracePeriodSeconds");
        m.Finish();
        return probe;
    }

    private static HttpGetAction? HttpGet(MapReader m, ImmutableArray<ContainerPort> ports)
    {
        var port = Port(m, ports);
        var path = m.String("path") ?? "/";
        if (!path.StartsWith('/'))
        {
            m.Context.Error(m.Child("path"), $"\"{path}\" must be an absolute path", $"write /{path}");
        }
        var action = port is null ? null : new HttpGetAction
        {
            Port = port,
            Path = path,
            Scheme = m.EnumString("scheme", Schemes) ?? "HTTP",
            HttpHeaders = m.Objects("httpHeaders", Header),
        };
        m.Unsupported("host");
        m.Finish();
        return action;
    }

    private static HttpHeader Header(MapReader m)
    {
        var header = new HttpHeader(m.String("name") ?? "", m.String("value") ?? "");
        if (header.Name.Length == 0) m.Context.Error(m.Child("name"), "a header needs a name");
        m.Finish();
        return header;
    }

    private static TcpSocketAction? TcpSocket(MapReader m, ImmutableArray<ContainerPort> ports)
    {
        var port = Port(m, ports);
        m.Unsupported("host");
        m.Finish();
        return port is null ? null : new TcpSocketAction { Port = port };
    }

    private static ExecAction Exec(MapReader m)
    {
        var command = m.Strings("command");
        // An empty or absent list; a list of the wrong things has been reported item by item.
        if (m.Raw("command") is null or SequenceNode { Items.Count: 0 })
        {
            m.Context.Error(m.Child("command"), "must specify a command", "e.g. command: [\"cat\", \"/tmp/healthy\"]");
        }
        m.Finish();
        return new ExecAction { Command = command.IsDefault ? [] : command };
    }

    /// <summary>A port number, or the name of one of the container's ports.</summary>
    private static IntOrString? Port(MapReader m, ImmutableArray<ContainerPort> ports)
    {
        if (m.Raw("port") is null)
        {
            m.Context.Error(m.Child("port"), "a probe needs a port", "give the container port's number or name");
            return null;
        }
        var port = CoreReaders.IntOrString(m, "port");
        if (port is { Name: { } name } && !ports.Any(p => p.Name == name))
        {
            var known = ports.Where(p => p.Name is not null).Select(p => p.Name).ToList();
            m.Context.Error(m.Child("port"), $"no container port is named \"{name}\"",
                known.Count > 0 ? $"use one of {string.Join(", ", known)}, or a port number" : "name the port under ports[].name, or give its number");
            return null;
        }
        return port;
    }
}
