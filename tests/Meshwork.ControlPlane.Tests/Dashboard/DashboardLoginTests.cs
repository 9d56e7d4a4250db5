using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Dashboard;
using Meshwork.ControlPlane.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Tests.Dashboard;

/// <summary>The dashboard on a real control plane: no anonymous access, a login link that works once, a session cookie.</summary>
public sealed class DashboardLoginTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("meshwork-dashboard-").FullName;
    private RunningControlPlane _server = null!;
    private StateDirectory _state = null!;

    public async Task InitializeAsync()
    {
        _state = new StateDirectory(Path.Combine(_work, "state"));
        _server = await ControlPlaneHost.StartAsync(new ControlPlaneOptions
        {
            StateDirectory = _state,
            Port = 0,
            ConfigureLogging = l => l.ClearProviders(),
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    /// <summary>A browser-like client: trusts the mesh root, keeps no cookies of its own, follows no redirects.</summary>
    private HttpClient Client(string? bearer = null)
    {
        var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(_state.RootCertFile));
        var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
        {
            if (certificate is null || chain is null) return false;
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate));
        };
        var client = new HttpClient(handler) { BaseAddress = _server.Url, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    private string AdminToken => File.ReadAllText(_state.AdminTokenFile).Trim();

    [Fact]
    public async Task Nothing_is_served_without_a_session()
    {
        using var anonymous = Client();
        foreach (var path in new[] { DashboardEndpoints.Root, $"{DashboardEndpoints.Root}assets/graph.js", $"{DashboardEndpoints.Root}api/graph" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(DashboardLogin.Path, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{DashboardEndpoints.LoginPath}?code=guessed")).StatusCode);
        using var forged = Client();
        forged.DefaultRequestHeaders.Add("Cookie", $"{DashboardEndpoints.CookieName}=forged");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync(DashboardEndpoints.Root)).StatusCode);
    }

    [Fact]
    public async Task The_login_link_opens_a_session_once_and_the_session_gets_the_page_its_assets_and_the_graph()
    {
        using var admin = Client(AdminToken);
        var login = await (await admin.PostAsync(DashboardLogin.Path, null)).Content.ReadFromJsonAsync(DashboardJson.Default.DashboardLogin);

        using var browser = Client();
        var opened = await browser.GetAsync(login!.LoginPath);
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal(DashboardEndpoints.Root, opened.Headers.Location?.OriginalString);
        var cookie = Assert.Single(opened.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(login.LoginPath)).StatusCode);

        browser.DefaultRequestHeaders.Add("Cookie", cookie.Split(';')[0]);
        var page = await browser.GetAsync(DashboardEndpoints.Root);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("assets/cytoscape.min.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("cytoscape", await browser.GetStringAsync($"{DashboardEndpoints.Root}assets/cytoscape.min.js"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"{DashboardEndpoints.Root}assets/server.json")).StatusCode);
        Assert.Contains("\"edges\":[]", await browser.GetStringAsync($"{DashboardEndpoints.Root}api/graph?window=1m"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assets_are_revalidated_by_entity_tag_and_only_within_a_session()
    {
        using var admin = Client(AdminToken);
        var login = await (await admin.PostAsync(DashboardLogin.Path, null)).Content.ReadFromJsonAsync(DashboardJson.Default.DashboardLogin);
        using var browser = Client();
        var cookie = Assert.Single((await browser.GetAsync(login!.LoginPath)).Headers.GetValues("Set-Cookie")).Split(';')[0];
        browser.DefaultRequestHeaders.Add("Cookie", cookie);
        var path = $"{DashboardEndpoints.Root}assets/cytoscape.min.js";

        var first = await browser.GetAsync(path);
        var tag = first.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(tag);
        var revalidated = await browser.SendAsync(again);
        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"an-older-build\""));
        var changed = await browser.SendAsync(stale);
        using var anonymous = Client();
        using var guessed = new HttpRequestMessage(HttpMethod.Get, path);
        guessed.Headers.IfNoneMatch.Add(tag);
        var refused = await anonymous.SendAsync(guessed);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("no-cache", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.True(first.Headers.CacheControl.Private);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal((await first.Content.ReadAsByteArrayAsync()).Length, (await changed.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
