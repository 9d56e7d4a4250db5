using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.Policy;
using Meshwork.Policy.Traffic;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork x explain</c>: what happens, offline, when a workload sends one request to a host and port,
/// and why: server mTLS mode, client TLS, secure naming, authorization, and what the client sees.
/// Replaces <c>istioctl authn tls-check</c>, removed in Istio 1.6.
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "Manifest files or directories (*.yaml, *.yml, *.json) describing the mesh",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var from = new Option<string?>("--from")
        {
            Description = "The client: <namespace>/<deployment> from the files (with --from-outside: just the namespace it runs in)",
        };
        var to = new Option<string>("--to")
        {
            Description = "Destination <host>:<port> as the client would dial it (httpbin, httpbin.foo, httpbin.foo.svc.cluster.local); http://host:port/path works too",
            Required = true,
        };
        var method = new Option<string>("--method", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "GET" };
        var path = new Option<string?>("--path") { Description = "HTTP path (default /)" };
        var headers = new Option<string[]>("--header", "-H")
        {
            Description = "Request header K=V (or \"K: V\"); repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var sourceIp = new Option<string?>("--source-ip") { Description = "The client address the server sees, for ipBlocks and source.ip rules" };
        var outside = new Option<bool>("--from-outside") { Description = "The client runs outside the mesh: no sidecar, no identity" };
        var output = new Option<string>("--output", "-o") { Description = "Output format: text or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");

        var command = new Command("explain", "Explain, offline, what a request from a workload to a host:port does in the mesh, and why")
        {
            files, from, to, method, path, headers, sourceIp, outside, output,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var request = new ExplainRequest(
                parse.GetValue(files) ?? [],
                parse.GetValue(from),
                parse.GetValue(to)!,
                parse.GetValue(method) ?? "GET",
                parse.GetValue(path),
                parse.GetValue(headers) ?? [],
                parse.GetValue(outside),
                parse.GetValue(output) == "json")
            {
                SourceIp = parse.GetValue(sourceIp),
            };
            return Run(request, stdout, stderr);
        });
        return command;
    }

    /// <summary>The parsed command line.</summary>
    public sealed record ExplainRequest(
        IReadOnlyList<string> Files, string? From, string To, string Method, string? Path,
        IReadOnlyList<string> Headers, bool FromOutside, bool Json)
    {
        public string? SourceIp { get; init; }
    }

    /// <summary>Runs the explanation; 0 when it could be explained (whatever the outcome), 1 on bad input.</summary>
    public static int Run(ExplainRequest request, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        if (!TryParseTarget(request.To, out var host, out var port, out var urlPath, out var targetError))
        {
            stderr.WriteLine($"error: --to {targetError}");
            return 1;
        }
        var headerMap = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var header in request.Headers)
        {
            var sep = header.IndexOfAny(['=', ':']);
            if (sep <= 0)
            {
                stderr.WriteLine($"error: --header \"{header}\" is not of the form K=V");
                return 1;
            }
            headerMap[header[..sep].Trim().ToLowerInvariant()] = header[(sep + 1)..].Trim();
        }

        System.Net.IPAddress? sourceAddress = null;
        if (request.SourceIp is not null && !System.Net.IPAddress.TryParse(request.SourceIp, out sourceAddress))
        {
            stderr.WriteLine($"error: --source-ip \"{request.SourceIp}\" is not an IP address");
            return 1;
        }

        var read = ManifestReader.ReadPaths(request.Files);
        foreach (var diagnostic in read.Diagnostics) stderr.WriteLine(diagnostic.ToString());
        if (read.HasErrors) return 1;
        var mesh = MeshState.From(read.Resources);

        Workload? client = null;
        string clientNamespace;
        string? sidecarReason = null;
        if (request.FromOutside)
        {
            clientNamespace = string.IsNullOrEmpty(request.From) ? "default" : request.From.Split('/', 2)[0];
        }
        else
        {
            if (string.IsNullOrEmpty(request.From))
            {
                stderr.WriteLine("error: --from <namespace>/<deployment> is required (or --from-outside for a client outside the mesh)");
                return 1;
            }
            var parts = request.From.Split('/');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                stderr.WriteLine($"error: --from \"{request.From}\" must be <namespace>/<deployment>");
                return 1;
            }
            var deployment = mesh.Deployments.FirstOrDefault(d => (d.Metadata.Namespace ?? "default") == parts[0] && d.Metadata.Name == parts[1]);
            if (deployment is null)
            {
                var known = string.Join(", ", mesh.Deployments.Select(d => $"{d.Metadata.Namespace ?? "default"}/{d.Metadata.Name}"));
                stderr.WriteLine($"error: --from: no Deployment {request.From} in the files (deployments: {(known.Length == 0 ? "none" : known)}); use --from-outside for a client outside the mesh");
                return 1;
            }
            client = Workload.FromDeployment(deployment, mesh);
            clientNamespace = client.Namespace;
            sidecarReason = Injection.Decide(mesh, client.Namespace, deployment.Spec.Template.Labels, deployment.Spec.Template.Annotations).Reason;
        }

        var query = new TrafficQuery
        {
            Client = client,
            ClientNamespace = clientNamespace,
            Host = host,
            Port = port,
            Method = request.Method,
            Path = request.Path ?? urlPath ?? "/",
            Headers = headerMap.ToImmutable(),
            ClientSidecarReason = sidecarReason,
            SourceIp = sourceAddress,
        };
        var explanation = TrafficExplainer.Explain(mesh, query);
        if (request.Json) WriteJson(explanation, stdout);
        else WriteText(explanation, stdout);
        return 0;
    }

    /// <summary>host:port, host (port 80), or an http:// URL whose path is used when --path is not given.</summary>
    internal static bool TryParseTarget(string value, out string host, out int port, out string? path, out string error)
    {
        host = "";
        port = 80;
        path = null;
        error = "";
        var v = value.Trim();
        if (v.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(v, UriKind.Absolute, out var uri))
            {
                error = $"\"{value}\" is not a URL";
                return false;
            }
            host = uri.Host;
            port = uri.Port;
            path = uri.PathAndQuery;
            return true;
        }
        var colon = v.LastIndexOf(':');
        if (colon < 0)
        {
            host = v;
        }
        else
        {
            host = v[..colon];
            if (!int.TryParse(v.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                error = $"\"{value}\": the port must be a number from 1 to 65535";
                return false;
            }
        }
        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal))
        {
            error = $"\"{value}\" is not <host>:<port>";
            return false;
        }
        return true;
    }

    private static void WriteJson(TrafficExplanation e, TextWriter stdout)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("from", e.From);
            json.WriteString("to", e.To);
            WriteNullable(json, "service", e.Service);
            if (e.ServicePort is int sp) json.WriteNumber("servicePort", sp); else json.WriteNull("servicePort");
            WriteNullable(json, "protocol", e.Protocol);
            json.WriteBoolean("clientHasSidecar", e.ClientHasSidecar);
            WriteNullable(json, "clientIdentity", e.ClientIdentity);
            json.WriteString("serverMode", e.ServerMode);
            json.WriteString("serverModeSource", e.ServerModeSource);
            json.WriteString("clientTls", e.ClientTls);
            json.WriteString("clientTlsSource", e.ClientTlsSource);
            json.WritePropertyName("authorization");
            WriteAuthorization(json, e.Authorization);
            json.WriteString("outcome", TrafficExplainer.Text(e.Outcome));
            json.WriteNumber("httpCode", e.HttpCode);
            json.WriteStartArray("reasons");
            foreach (var r in e.Reasons) json.WriteStringValue(r.Sentence);
            json.WriteEndArray();
            json.WriteStartArray("evidence");
            foreach (var r in e.Reasons)
            {
                if (r.Resource is null) continue;
                json.WriteStartObject();
                json.WriteString("resource", r.Resource);
                WriteNullable(json, "field", r.Field);
                json.WriteString("reason", r.Sentence);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("endpoints");
            foreach (var ep in e.Endpoints)
            {
                json.WriteStartObject();
                json.WriteString("workload", ep.Workload);
                json.WriteNumber("port", ep.Port);
                json.WriteBoolean("sidecar", ep.HasSidecar);
                json.WriteString("serverMode", ep.ServerMode);
                json.WriteString("serverModeSource", ep.ServerModeSource);
                json.WriteString("clientTls", ep.ClientTls);
                json.WriteString("clientTlsSource", ep.ClientTlsSource);
                WriteNullable(json, "serverIdentity", ep.ServerIdentity);
                json.WriteStartArray("acceptedIdentities");
                foreach (var id in ep.AcceptedIdentities) json.WriteStringValue(id);
                json.WriteEndArray();
                json.WritePropertyName("authorization");
                WriteAuthorization(json, ep.Authorization);
                json.WriteString("outcome", TrafficExplainer.Text(ep.Outcome));
                json.WriteNumber("httpCode", ep.HttpCode);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        stdout.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteAuthorization(Utf8JsonWriter json, AuthorizationVerdict a)
    {
        json.WriteStartObject();
        json.WriteString("decision", a.Decision);
        json.WriteBoolean("evaluated", a.Evaluated);
        WriteNullable(json, "policy", a.Policy);
        if (a.Rule is int rule) json.WriteNumber("rule", rule); else json.WriteNull("rule");
        WriteNullable(json, "reason", a.Reason);
        json.WriteStartArray("dryRun");
        foreach (var d in a.DryRun)
        {
            json.WriteStartObject();
            json.WriteString("policy", d.Policy);
            json.WriteString("action", d.Action);
            json.WriteBoolean("matched", d.Matched);
            if (d.Rule is int r) json.WriteNumber("rule", r); else json.WriteNull("rule");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name); else json.WriteString(name, value);
    }

    private static void WriteText(TrafficExplanation e, TextWriter o)
    {
        var verdict = e.Outcome switch
        {
            TrafficOutcome.Ok => "OK: the request reaches the application (HTTP 200)",
            TrafficOutcome.Reset => "RESET: the connection is reset (curl: 000, exit code 56)",
            TrafficOutcome.Denied => "DENIED: HTTP 403 (RBAC: access denied)",
            TrafficOutcome.NoRoute => "NO ROUTE: HTTP 404 from the client sidecar (no VirtualService route matches)",
            _ => "UNAVAILABLE: HTTP 503 from the client sidecar",
        };
        o.WriteLine($"{e.From} -> {e.To}");
        o.WriteLine($"  {verdict}");
        o.WriteLine();
        if (e.Service is not null) o.WriteLine($"  Service:        {e.Service} port {e.ServicePort} ({e.Protocol})");
        o.WriteLine($"  Client:         {(e.ClientHasSidecar ? $"sidecar, identity {e.ClientIdentity}" : "no sidecar, no identity")}");
        o.WriteLine($"  Client TLS:     {e.ClientTls} ({e.ClientTlsSource})");
        o.WriteLine($"  Server mode:    {e.ServerMode} ({e.ServerModeSource})");
        var authz = !e.Authorization.Evaluated
            ? "not evaluated (no sidecar enforces it on this path)"
            : $"{e.Authorization.Decision}{(e.Authorization.Policy is null ? "" : $" by {e.Authorization.Policy}{(e.Authorization.Rule is int r ? $" rule {r}" : "")}")} ({e.Authorization.Reason})";
        o.WriteLine($"  Authorization:  {authz}");
        foreach (var d in e.Authorization.DryRun)
        {
            o.WriteLine($"  Dry-run:        {d.Action} {d.Policy} {(d.Matched ? $"would match (rule {d.Rule})" : "would not match")}");
        }
        if (e.Endpoints.Length > 1)
        {
            o.WriteLine();
            o.WriteLine("  Endpoints:");
            foreach (var ep in e.Endpoints)
            {
                o.WriteLine($"    {ep.Workload}:{ep.Port}  server {ep.ServerMode}, client {ep.ClientTls}, {TrafficExplainer.Text(ep.Outcome)} ({ep.HttpCode})");
            }
        }
        o.WriteLine();
        o.WriteLine("Why:");
        foreach (var reason in e.Reasons)
        {
            var where = reason.Resource is null ? "" : $"  [{reason.Resource}{(reason.Field is null ? "" : " " + reason.Field)}]";
            o.WriteLine($"  - {reason.Sentence}{where}");
        }
    }
}
