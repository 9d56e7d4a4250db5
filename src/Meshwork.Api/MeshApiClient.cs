using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Api;

/// <summary>
/// The config API client the CLI, the runtime and the dashboard use. It finds the control plane
/// through the state directory (server.json, admin-token, root-cert.pem) and trusts only the
/// mesh root for the server's certificate — never the OS trust store. Given several control-plane
/// replicas, it sends to one and moves to the next when that one cannot be reached.
/// </summary>
public sealed class MeshApiClient : IMeshApi, IDisposable
{
    public const string ApplyPath = "/meshwork/v1/apply";
    private const string ServiceUnavailable = "ServiceUnavailable";

    private readonly HttpClient _http;
    private readonly StateDirectory? _state;
    private readonly ControlPlaneFailover _replicas;

    public MeshApiClient(Uri baseAddress, string adminToken, X509Certificate2Collection trustedRoots, StateDirectory? state = null)
        : this(ControlPlaneAddresses.FromUri(baseAddress), adminToken, trustedRoots, state)
    {
    }

    public MeshApiClient(ControlPlaneAddresses replicas, string adminToken, X509Certificate2Collection trustedRoots, StateDirectory? state = null)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        _replicas = new ControlPlaneFailover(replicas);
        _state = state;
        var roots = trustedRoots;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            // The connect includes the TLS handshake, which a cold CLI process spends most of its CPU on: on a busy
            // machine 5 s were not enough, and the bare cancellation that came out of it looked like Ctrl+C (exit 130).
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // A large body waits for the server's go-ahead (see SendAsync); the 1 s default sent the body anyway when a busy
            // control plane answered later, and its 413 then arrived as a connection closed under the upload.
            Expect100ContinueTimeout = TimeSpan.FromSeconds(15),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IsTrusted(certificate, chain, errors, roots),
            },
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    /// <summary>The replica this client talks to now.</summary>
    public Uri BaseAddress => _replicas.Current;

    /// <summary>Time limit of a non-watch request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A client for the control plane of <paramref name="state"/>. <paramref name="serverOverride"/>
    /// (--server: one URL, or the replicas' URLs separated by commas) replaces the URL in server.json;
    /// the admin token and the root still come from the state directory. Throws a <see cref="MeshApiException"/> (ServiceUnavailable) saying what to run when
    /// no control plane is recorded there.
    /// </summary>
    public static MeshApiClient FromStateDirectory(StateDirectory state, string? serverOverride = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var url = serverOverride;
        if (string.IsNullOrEmpty(url))
        {
            url = ReadServerUrl(state) ?? throw NotRunning(state, null);
        }
        if (!ControlPlaneAddresses.TryParse(url, out var replicas, out var problem))
        {
            throw new MeshApiException(400, "BadRequest", $"the control plane URL \"{url}\" is not an https:// URL or a comma-separated list of them: {problem}");
        }
        string token;
        var roots = new X509Certificate2Collection();
        try
        {
            token = File.ReadAllText(state.AdminTokenFile).Trim();
            roots.ImportFromPemFile(state.RootCertFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new MeshApiException(503, ServiceUnavailable,
                $"cannot use the control plane of state directory {state.Root}: {e.Message} (the admin token and root-cert.pem are written by `meshwork server` at its first start)");
        }
        if (roots.Count == 0)
        {
            throw new MeshApiException(503, ServiceUnavailable, $"{state.RootCertFile} holds no certificate");
        }
        return new MeshApiClient(replicas, token, roots, state);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The config API path of a collection or one object of <paramref name="kind"/>.</summary>
    public static string PathFor(KindInfo kind, string? @namespace, string? name = null)
    {
        var prefix = kind.ApiGroup.Length == 0 ? "/api/v1" : $"/apis/{kind.ApiGroup}/{kind.Versions[0]}";
        var path = kind.Namespaced && @namespace is not null ? $"{prefix}/namespaces/{Uri.EscapeDataString(@namespace)}/{kind.Plural}" : $"{prefix}/{kind.Plural}";
        return name is null ? path : $"{path}/{Uri.EscapeDataString(name)}";
    }

    /// <summary>Resolves what a user may type for a kind (Kind, plural, short name, plural.group).</summary>
    public static KindInfo ResolveKind(string kind) =>
        KindRegistry.TryResolve(kind, out var info)
            ? info
            : throw new MeshApiException(404, "NotFound", $"the server doesn't have a resource type \"{kind}\" (known: {KindRegistry.KindList})");

    public async Task<ImmutableArray<Resource>> ApplyAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default) =>
        [.. (await ApplyWithOutcomesAsync(resources, null, cancellationToken).ConfigureAwait(false)).Select(a => a.Resource)];

    /// <summary>Applies in one transaction and says, per object and in input order, whether it was created, configured or unchanged.</summary>
    public async Task<ImmutableArray<AppliedObject>> ApplyWithOutcomesAsync(IReadOnlyList<Resource> resources, string? defaultNamespace = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var body = new StringBuilder("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
        for (var i = 0; i < resources.Count; i++)
        {
            if (i > 0) body.Append(',');
            body.Append(ResourceJson.Serialize(resources[i]));
        }
        body.Append("]}");
        var path = defaultNamespace is null ? ApplyPath : $"{ApplyPath}?namespace={Uri.EscapeDataString(defaultNamespace)}";
        var json = await SendAsync(HttpMethod.Post, path, body.ToString(), cancellationToken).ConfigureAwait(false);
        var items = JsonNode.Parse(json)?["items"]?.AsArray() ?? [];
        var results = ImmutableArray.CreateBuilder<AppliedObject>(items.Count);
        foreach (var item in items)
        {
            results.Add(new AppliedObject(ReadOne(item!["object"]!.ToJsonString()), item["outcome"]?.GetValue<string>() ?? "configured"));
        }
        return results.MoveToImmutable();
    }

    /// <summary>Creates one object (POST); AlreadyExists when it is there.</summary>
    public async Task<Resource> CreateAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var kind = ResolveKind(resource.Kind);
        var json = await SendAsync(HttpMethod.Post, PathFor(kind, resource.Metadata.Namespace), ResourceJson.Serialize(resource), cancellationToken).ConfigureAwait(false);
        return ReadOne(json);
    }

    public async Task<Resource?> GetAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default)
    {
        var info = ResolveKind(kind);
        try
        {
            return ReadOne(await SendAsync(HttpMethod.Get, PathFor(info, @namespace ?? "default", name), null, cancellationToken).ConfigureAwait(false));
        }
        catch (MeshApiException e) when (e.StatusCode == 404 && e.Reason == "NotFound")
        {
            return null;
        }
    }

    public async Task<ImmutableArray<Resource>> ListAsync(string kind, string? @namespace, string? labelSelector = null, CancellationToken cancellationToken = default) =>
        (await ListWithRevisionAsync(kind, @namespace, labelSelector, cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>Lists, and returns the resourceVersion of the list (to watch from).</summary>
    public async Task<(ImmutableArray<Resource> Items, string ResourceVersion)> ListWithRevisionAsync(string kind, string? @namespace, string? labelSelector = null, CancellationToken cancellationToken = default)
    {
        var info = ResolveKind(kind);
        var path = PathFor(info, @namespace);
        if (!string.IsNullOrEmpty(labelSelector)) path += $"?labelSelector={Uri.EscapeDataString(labelSelector)}";
        var json = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        var node = JsonNode.Parse(json)!;
        var items = node["items"]?.AsArray() ?? [];
        var resources = ImmutableArray.CreateBuilder<Resource>(items.Count);
        foreach (var item in items) resources.Add(ReadOne(item!.ToJsonString()));
        return (resources.MoveToImmutable(), node["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "0");
    }

    public async Task<bool> DeleteAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default)
    {
        var info = ResolveKind(kind);
        try
        {
            await SendAsync(HttpMethod.Delete, PathFor(info, @namespace ?? "default", name), null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MeshApiException e) when (e.StatusCode == 404 && e.Reason == "NotFound")
        {
            return false;
        }
    }

    public async Task<Resource> PutAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var info = ResolveKind(resource.Kind);
        var json = await SendAsync(HttpMethod.Put, PathFor(info, resource.Metadata.Namespace ?? "default", resource.Metadata.Name), ResourceJson.Serialize(resource), cancellationToken).ConfigureAwait(false);
        return ReadOne(json);
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string kind, string? @namespace, string? resourceVersion = null, CancellationToken cancellationToken = default) =>
        WatchAsync(kind, @namespace, resourceVersion, null, cancellationToken);

    /// <summary>
    /// Changes of <paramref name="kind"/> after <paramref name="resourceVersion"/> (without one: the
    /// current objects as Added first), optionally only those matching <paramref name="labelSelector"/>.
    /// A resourceVersion the server no longer holds ends the watch with MeshApiException (410, Expired).
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string kind, string? @namespace, string? resourceVersion, string? labelSelector, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var info = ResolveKind(kind);
        var path = $"{PathFor(info, @namespace)}?watch=true";
        if (!string.IsNullOrEmpty(resourceVersion)) path += $"&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        if (!string.IsNullOrEmpty(labelSelector)) path += $"&labelSelector={Uri.EscapeDataString(labelSelector)}";
        using var response = await SendRawAsync(replica => new HttpRequestMessage(HttpMethod.Get, new Uri(replica, path)), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            var node = JsonNode.Parse(line)!;
            var type = node["type"]?.GetValue<string>();
            var obj = node["object"]!;
            if (type == "ERROR") throw StatusError(obj.ToJsonString(), 500);
            var eventType = type switch
            {
                "ADDED" => WatchEventType.Added,
                "MODIFIED" => WatchEventType.Modified,
                "DELETED" => WatchEventType.Deleted,
                _ => (WatchEventType?)null,
            };
            if (eventType is { } t) yield return new WatchEvent(t, ReadOne(obj.ToJsonString()));
        }
    }

    public async Task<BootstrapTokenResponse> CreateBootstrapTokenAsync(string @namespace, string serviceAccount, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.Serialize(new BootstrapTokenRequest { Namespace = @namespace, ServiceAccount = serviceAccount }, ProtocolJson.Default.BootstrapTokenRequest);
        var json = await SendAsync(HttpMethod.Post, ControlPlanePaths.BootstrapTokens, body, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, ProtocolJson.Default.BootstrapTokenResponse)
            ?? throw new MeshApiException(502, "BadGateway", "the control plane answered an empty bootstrap token");
    }

    /// <summary>Request bodies above this size are sent with "Expect: 100-continue".</summary>
    private const int LargeBody = 64 * 1024;

    /// <summary>Sends one request and returns the body of a 2xx answer; any other answer becomes a <see cref="MeshApiException"/>.</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, string? jsonBody, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        HttpRequestMessage Build(Uri replica)
        {
            var request = new HttpRequestMessage(method, new Uri(replica, path));
            if (jsonBody is not null)
            {
                request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
                // A large body waits for the server's go-ahead (RFC 9110 §10.1.1): a server that refuses it (413) says
                // so before the upload, instead of closing the connection under it.
                if (jsonBody.Length > LargeBody) request.Headers.ExpectContinue = true;
            }
            return request;
        }
        try
        {
            using var response = await SendRawAsync(Build, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            return await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new MeshApiException(504, "Timeout", $"the control plane at {BaseAddress} did not answer {method} {path} within {RequestTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Sends the request <paramref name="build"/> makes for a replica. A replica that cannot be connected to
    /// never saw the request, so the same request goes to the next one, each replica once.
    /// </summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<Uri, HttpRequestMessage> build, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        for (var attempt = 1; ; attempt++)
        {
            var replica = _replicas.Current;
            using var request = build(replica);
            try
            {
                response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
                _replicas.Succeeded();
                break;
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                _replicas.MoveOnFrom(replica);
                if (attempt < _replicas.Addresses.Count) continue;
                throw _state is null
                    ? new MeshApiException(503, ServiceUnavailable, $"the control plane at {_replicas.Addresses} does not answer: {e.Message}")
                    : NotRunning(_state, _replicas.Addresses);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
            {
                throw new MeshApiException(503, ServiceUnavailable,
                    $"the control plane at {replica} did not prove it is this mesh's control plane (its certificate does not chain to {(_state is null ? "the mesh root" : _state.RootCertFile)}): {e.Message}");
            }
            catch (HttpRequestException e)
            {
                // Whatever else broke the exchange (the server closed the connection mid-request, say): one line, no trace.
                throw new MeshApiException(0, "ConnectionClosed", $"the request to the control plane at {replica} failed: {e.Message}");
            }
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw StatusError(text, (int)response.StatusCode);
        }
    }

    private static MeshApiException StatusError(string json, int httpStatus)
    {
        try
        {
            var node = JsonNode.Parse(json);
            if (node?["kind"]?.GetValue<string>() == "Status")
            {
                var causes = node["details"]?["causes"]?.AsArray()
                    .Select(c => new MeshApiCause(c?["field"]?.GetValue<string>() ?? "", c?["message"]?.GetValue<string>() ?? ""))
                    .ToImmutableArray() ?? [];
                return new MeshApiException(
                    node["code"]?.GetValue<int>() ?? httpStatus,
                    node["reason"]?.GetValue<string>() ?? "Unknown",
                    node["message"]?.GetValue<string>() ?? json) { Causes = causes };
            }
            // Problem details (RFC 9457) from the proxy-facing endpoints.
            if (node?["title"] is not null || node?["detail"] is not null)
            {
                return new MeshApiException(httpStatus, node["title"]?.GetValue<string>() ?? "Error", node["detail"]?.GetValue<string>() ?? json);
            }
        }
        catch (JsonException)
        {
            // Not JSON: report the text.
        }
        return new MeshApiException(httpStatus, ((HttpStatusCode)httpStatus).ToString(), string.IsNullOrWhiteSpace(json) ? $"HTTP {httpStatus}" : json.Trim());
    }

    private static Resource ReadOne(string json)
    {
        var read = ManifestReader.Read(json, "server response");
        if (read.HasErrors || read.Resources.Length != 1)
        {
            throw new MeshApiException(502, "BadGateway", "the control plane answered an object this client cannot read: " + string.Join("; ", read.Errors));
        }
        return read.Resources[0] with { Source = null };
    }

    private static string? ReadServerUrl(StateDirectory state) => ServerInfo.Read(state)?.Url;

    private static MeshApiException NotRunning(StateDirectory state, ControlPlaneAddresses? tried) => new(503, ServiceUnavailable,
        $"no control plane is running for state directory {state.Root}{(tried is null ? "" : $" (nothing answers at {tried})")}: run `meshwork up` or `meshwork server`");

    /// <summary>Custom root trust: the server's chain must end at one of <paramref name="roots"/>, and the name must match.</summary>
    private static bool IsTrusted(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
