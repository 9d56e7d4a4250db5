using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <remarks>networking.istio.io bodies: DestinationRule, Gateway and VirtualService.</remarks>
public static partial class ResourceJson
{
    private static JsonObject DestinationRuleSpec(DestinationRuleSpec spec)
    {
        var o = new JsonObject { ["host"] = spec.Host };
        Put(o, "trafficPolicy", TrafficPolicy(spec.TrafficPolicy));
        Put(o, "subsets", Array(spec.Subsets, s =>
        {
            var subset = new JsonObject { ["name"] = s.Name };
            Put(subset, "labels", StringMap(s.Labels));
            Put(subset, "trafficPolicy", TrafficPolicy(s.TrafficPolicy));
            return subset;
        }));
        Put(o, "exportTo", Strings(spec.ExportTo));
        if (spec.WorkloadSelector is { } selector) o["workloadSelector"] = MatchLabels(selector);
        return o;
    }

    private static JsonObject? TrafficPolicy(TrafficPolicy? policy)
    {
        if (policy is null) return null;
        var o = new JsonObject();
        Put(o, "tls", ClientTls(policy.Tls));
        Put(o, "portLevelSettings", Array(policy.PortLevelSettings, p =>
        {
            var port = new JsonObject { ["port"] = new JsonObject { ["number"] = p.Port } };
            Put(port, "tls", ClientTls(p.Tls));
            return port;
        }));
        return o;
    }

    private static JsonObject? ClientTls(ClientTlsSettings? tls)
    {
        if (tls is null) return null;
        var o = new JsonObject { ["mode"] = Upper(tls.Mode.ToString()) };
        Put(o, "clientCertificate", tls.ClientCertificate);
        Put(o, "privateKey", tls.PrivateKey);
        Put(o, "caCertificates", tls.CaCertificates);
        Put(o, "credentialName", tls.CredentialName);
        Put(o, "subjectAltNames", Strings(tls.SubjectAltNames));
        Put(o, "sni", tls.Sni);
        if (tls.InsecureSkipVerify) o["insecureSkipVerify"] = true;
        return o;
    }

    private static JsonObject GatewaySpec(GatewaySpec spec)
    {
        var o = new JsonObject();
        Put(o, "selector", StringMap(spec.Selector));
        Put(o, "servers", Array(spec.Servers, s =>
        {
            var port = new JsonObject { ["number"] = s.Port.Number };
            Put(port, "name", s.Port.Name);
            port["protocol"] = s.Port.Protocol;
            var server = new JsonObject { ["port"] = port };
            Put(server, "hosts", Strings(s.Hosts));
            if (s.Tls is { } tls)
            {
                var t = new JsonObject { ["mode"] = tls.Mode };
                Put(t, "credentialName", tls.CredentialName);
                if (tls.HttpsRedirect) t["httpsRedirect"] = true;
                server["tls"] = t;
            }
            return server;
        }));
        return o;
    }

    private static JsonObject VirtualServiceSpec(VirtualServiceSpec spec)
    {
        var o = new JsonObject();
        Put(o, "hosts", Strings(spec.Hosts));
        Put(o, "gateways", Strings(spec.Gateways));
        Put(o, "http", Array(spec.Http, r =>
        {
            var route = new JsonObject();
            Put(route, "name", r.Name);
            Put(route, "match", Array(r.Match, HttpMatch));
            Put(route, "route", Array(r.Route, Weighted));
            if (r.Rewrite is { } rewrite)
            {
                var w = new JsonObject();
                Put(w, "uri", rewrite.Uri);
                Put(w, "authority", rewrite.Authority);
                route["rewrite"] = w;
            }
            if (r.Timeout is { } timeout) route["timeout"] = Duration(timeout);
            if (r.Retries is { } retries)
            {
                var retry = new JsonObject { ["attempts"] = retries.Attempts };
                if (retries.PerTryTimeout is { } perTry) retry["perTryTimeout"] = Duration(perTry);
                Put(retry, "retryOn", retries.RetryOn);
                route["retries"] = retry;
            }
            if (r.Headers is { } headers)
            {
                var h = new JsonObject();
                Put(h, "request", HeaderOperations(headers.Request));
                Put(h, "response", HeaderOperations(headers.Response));
                route["headers"] = h;
            }
            if (r.Fault is { } fault) route["fault"] = Fault(fault);
            return route;
        }));
        Put(o, "tcp", Array(spec.Tcp, r =>
        {
            var route = new JsonObject();
            Put(route, "match", Array(r.Match, m =>
            {
                var match = new JsonObject();
                if (m.Port is { } port) match["port"] = port;
                return match;
            }));
            Put(route, "route", Array(r.Route, Weighted));
            return route;
        }));
        Put(o, "exportTo", Strings(spec.ExportTo));
        return o;
    }

    private static JsonObject HttpMatch(HttpMatch m)
    {
        var o = new JsonObject();
        Put(o, "uri", StringMatch(m.Uri));
        Put(o, "method", StringMatch(m.Method));
        if (!m.Headers.IsEmpty)
        {
            var headers = new JsonObject();
            foreach (var (name, match) in m.Headers) headers[name] = StringMatch(match);
            o["headers"] = headers;
        }
        if (m.Port is { } port) o["port"] = port;
        Put(o, "gateways", Strings(m.Gateways));
        if (!m.QueryParams.IsEmpty)
        {
            var query = new JsonObject();
            foreach (var (name, match) in m.QueryParams) query[name] = StringMatch(match);
            o["queryParams"] = query;
        }
        return o;
    }

    private static JsonObject? HeaderOperations(HeaderOperations? operations)
    {
        if (operations is null) return null;
        var o = new JsonObject();
        Put(o, "set", StringMap(operations.Set));
        Put(o, "add", StringMap(operations.Add));
        Put(o, "remove", Strings(operations.Remove));
        return o;
    }

    private static JsonObject Fault(HttpFault fault)
    {
        var o = new JsonObject();
        if (fault.Delay is { } delay)
        {
            o["delay"] = new JsonObject { ["fixedDelay"] = Duration(delay.FixedDelay), ["percentage"] = new JsonObject { ["value"] = delay.Percentage } };
        }
        if (fault.Abort is { } abort)
        {
            o["abort"] = new JsonObject { ["httpStatus"] = abort.HttpStatus, ["percentage"] = new JsonObject { ["value"] = abort.Percentage } };
        }
        return o;
    }

    /// <summary>A duration as Istio writes one ("1.5s"): seconds with the fraction down to a tick, which reads back exactly.</summary>
    private static string Duration(TimeSpan value) =>
        (value.Ticks / (decimal)TimeSpan.TicksPerSecond).ToString("0.#######", CultureInfo.InvariantCulture) + "s";

    /// <summary>"prefix:/api" back to {"prefix": "/api"}.</summary>
    private static JsonObject? StringMatch(string? match)
    {
        if (match is null) return null;
        var colon = match.IndexOf(':');
        return colon < 0 ? new JsonObject { ["exact"] = match } : new JsonObject { [match[..colon]] = match[(colon + 1)..] };
    }

    private static JsonObject Weighted(WeightedDestination w)
    {
        var destination = new JsonObject { ["host"] = w.Destination.Host };
        Put(destination, "subset", w.Destination.Subset);
        if (w.Destination.Port is { } port) destination["port"] = new JsonObject { ["number"] = port };
        var o = new JsonObject { ["destination"] = destination };
        if (w.Weight != 0) o["weight"] = w.Weight;
        return o;
    }
}
