using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Store;
using static Meshwork.ControlPlane.Tests.Store.StoreFixtures;

namespace Meshwork.ControlPlane.Tests.Store;

/// <summary>
/// What every store backend must do. A backend's test class derives from this and says how to
/// make a fresh, empty store.
/// </summary>
public abstract partial class ResourceStoreComplianceTests : IAsyncLifetime
{
    private IResourceStore? _store;

    protected IResourceStore Store => _store ?? throw new InvalidOperationException("not initialized");

    /// <summary>A new empty store; <paramref name="eventRetention"/> bounds its change feed.</summary>
    protected abstract Task<IResourceStore> CreateStoreAsync(int eventRetention = 10_000);

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
    }

    private static ResourceKey Key(Resource r) => ResourceKey.Of(r);

    [Fact]
    public async Task Create_sets_server_metadata()
    {
        await Store.CreateAsync(Namespace("foo"));
        var created = await Store.CreateAsync(ConfigMap("foo", "settings"));

        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal("2", created.Metadata.ResourceVersion);

        var read = await Store.FindAsync(Key(created));
        Assert.NotNull(read);
        Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Equal(created.Metadata.CreationTimestamp, read.Metadata.CreationTimestamp);
        Assert.Equal("one", ((ConfigMap)read).Data["value"]);
    }

    [Fact]
    public async Task Resource_versions_grow_with_every_write()
    {
        await Store.CreateAsync(Namespace("foo"));
        var a = await Store.CreateAsync(ConfigMap("foo", "a"));
        var b = await Store.CreateAsync(ConfigMap("foo", "b"));
        var a2 = await Store.PutAsync(ConfigMap("foo", "a", "two"));

        var versions = new[] { a, b, a2 }.Select(r => long.Parse(r.Metadata.ResourceVersion!)).ToArray();
        Assert.True(versions[0] < versions[1] && versions[1] < versions[2], string.Join(",", versions));
        Assert.Equal(versions[2], await Store.GetRevisionAsync());
        Assert.Equal(a.Metadata.Uid, a2.Metadata.Uid);
    }

    [Fact]
    public async Task Apply_reports_created_unchanged_and_configured()
    {
        await Store.CreateAsync(Namespace("foo"));

        var first = await Store.ApplyAsync([PeerAuthentication("foo", "default", MtlsMode.Permissive)]);
        var again = await Store.ApplyAsync([PeerAuthentication("foo", "default", MtlsMode.Permissive)]);
        var changed = await Store.ApplyAsync([PeerAuthentication("foo", "default", MtlsMode.Strict)]);

        Assert.Equal(ApplyOutcome.Created, first[0].Outcome);
        Assert.Equal(ApplyOutcome.Unchanged, again[0].Outcome);
        Assert.Equal(first[0].Resource.Metadata.ResourceVersion, again[0].Resource.Metadata.ResourceVersion);
        Assert.Equal(ApplyOutcome.Configured, changed[0].Outcome);
        Assert.Equal(MtlsMode.Strict, ((PeerAuthentication)changed[0].Resource).Spec.Mode);
    }

    [Fact]
    public async Task Generation_counts_spec_changes_but_not_label_changes()
    {
        await Store.CreateAsync(Namespace("foo"));
        await Store.ApplyAsync([ConfigMap("foo", "a", "one")]);

        var relabelled = (await Store.ApplyAsync([ConfigMap("foo", "a", "one", ("team", "blue"))]))[0].Resource;
        Assert.Equal(1, relabelled.Metadata.Generation);

        var respecced = (await Store.ApplyAsync([ConfigMap("foo", "a", "two", ("team", "blue"))]))[0].Resource;
        Assert.Equal(2, respecced.Metadata.Generation);
    }

    [Fact]
    public async Task Apply_with_one_invalid_object_changes_nothing()
    {
        await Store.CreateAsync(Namespace("foo"));
        var before = await Store.GetRevisionAsync();

        var error = await Assert.ThrowsAsync<StoreException>(() => Store.ApplyAsync(
        [
            ConfigMap("foo", "good"),
            ConfigMap("foo", "Not_A_Name"),
            PeerAuthentication("foo", "default", MtlsMode.Strict),
        ]));

        Assert.Equal(StoreErrorKind.Invalid, error.Kind);
        var cause = Assert.Single(error.Causes);
        Assert.Equal(1, cause.Index);
        Assert.Equal("metadata.name", cause.Field);
        Assert.Equal(before, await Store.GetRevisionAsync());
        Assert.Null(await Store.FindAsync(new ResourceKey("ConfigMap", "foo", "good")));
        Assert.Null(await Store.FindAsync(new ResourceKey("PeerAuthentication", "foo", "default")));
    }

    [Fact]
    public async Task Apply_into_a_missing_namespace_changes_nothing()
    {
        await Store.CreateAsync(Namespace("foo"));
        var before = await Store.GetRevisionAsync();

        var error = await Assert.ThrowsAsync<StoreException>(() => Store.ApplyAsync([ConfigMap("foo", "a"), ConfigMap("bar", "b")]));

        Assert.Equal(StoreErrorKind.NotFound, error.Kind);
        Assert.Contains("namespaces \"bar\" not found", error.Message);
        Assert.Equal(before, await Store.GetRevisionAsync());
        Assert.Null(await Store.FindAsync(new ResourceKey("ConfigMap", "foo", "a")));
    }

    [Fact]
    public async Task Apply_may_create_a_namespace_and_its_contents_together()
    {
        var applied = await Store.ApplyAsync([ConfigMap("bar", "b"), Namespace("bar")]);

        Assert.All(applied, a => Assert.Equal(ApplyOutcome.Created, a.Outcome));
        Assert.NotNull(await Store.FindAsync(new ResourceKey("ConfigMap", "bar", "b")));
    }

    [Fact]
    public async Task Create_refuses_an_existing_object()
    {
        await Store.CreateAsync(Namespace("foo"));
        var error = await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(Namespace("foo")));
        Assert.Equal(StoreErrorKind.AlreadyExists, error.Kind);
    }

    [Fact]
    public async Task Two_writers_racing_on_one_resource_version_get_exactly_one_conflict()
    {
        await Store.CreateAsync(Namespace("foo"));
        var original = await Store.CreateAsync(ConfigMap("foo", "shared", "zero"));

        var writers = Enumerable.Range(1, 2).Select(i => Task.Run(async () =>
        {
            var edit = (ConfigMap)original with { Data = ImmutableSortedDictionary<string, string>.Empty.Add("value", $"writer-{i}") };
            try
            {
                await Store.PutAsync(edit);
                return (StoreErrorKind?)null;
            }
            catch (StoreException e)
            {
                return e.Kind;
            }
        })).ToArray();
        var outcomes = await Task.WhenAll(writers);

        Assert.Single(outcomes, o => o is null);
        Assert.Single(outcomes, o => o == StoreErrorKind.Conflict);
        var final = (ConfigMap)(await Store.FindAsync(Key(original)))!;
        Assert.StartsWith("writer-", final.Data["value"]);
    }

    [Fact]
    public async Task Put_with_a_stale_version_is_a_conflict_and_with_a_deleted_object_not_found()
    {
        await Store.CreateAsync(Namespace("foo"));
        var v1 = await Store.CreateAsync(ConfigMap("foo", "a", "one"));
        await Store.PutAsync(ConfigMap("foo", "a", "two"));

        var stale = await Assert.ThrowsAsync<StoreException>(() => Store.PutAsync((ConfigMap)v1 with { Data = ImmutableSortedDictionary<string, string>.Empty.Add("value", "three") }));
        Assert.Equal(StoreErrorKind.Conflict, stale.Kind);

        await Store.DeleteAsync(Key(v1));
        var gone = await Assert.ThrowsAsync<StoreException>(() => Store.PutAsync(v1));
        Assert.Equal(StoreErrorKind.NotFound, gone.Kind);
    }

    [Fact]
    public async Task Delete_of_a_missing_object_is_not_found()
    {
        var error = await Assert.ThrowsAsync<StoreException>(() => Store.DeleteAsync(new ResourceKey("Namespace", null, "nope")));
        Assert.Equal(StoreErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_everything_in_it()
    {
        await Store.ApplyAsync([Namespace("foo"), Namespace("bar"), ConfigMap("foo", "a"), PeerAuthentication("foo", "default", MtlsMode.Strict), ConfigMap("bar", "b")]);

        var deleted = await Store.DeleteAsync(new ResourceKey("Namespace", null, "foo"));

        Assert.Equal("Namespace", deleted[0].Kind);
        Assert.Equal(3, deleted.Length);
        var left = await Store.ListAsync(new ListOptions());
        Assert.Equal(["Namespace/bar", "ConfigMap/bar/b"], left.Items.Select(r => r.Ref).OrderByDescending(r => r.StartsWith("Namespace", StringComparison.Ordinal)));
        // Creating the namespace again starts empty.
        await Store.CreateAsync(Namespace("foo"));
        Assert.Empty((await Store.ListAsync(new ListOptions { Namespace = "foo" })).Items);
    }

    [Fact]
    public async Task List_filters_by_kind_namespace_and_labels()
    {
        await Store.ApplyAsync(
        [
            Namespace("foo"), Namespace("bar"),
            ConfigMap("foo", "a", "1", ("app", "sleep")), ConfigMap("foo", "b", "1", ("app", "httpbin")),
            ConfigMap("bar", "c", "1", ("app", "sleep"), ("version", "v2")),
            PeerAuthentication("foo", "default", MtlsMode.Strict),
        ]);

        // Ordered as kubectl lists across namespaces: by namespace, then name.
        Assert.Equal(["c", "a", "b"], Names(await Store.ListAsync(new ListOptions { Kind = "ConfigMap" })));
        Assert.Equal(["a", "b"], Names(await Store.ListAsync(new ListOptions { Kind = "ConfigMap", Namespace = "foo" })));
        Assert.Equal(["c", "a"], Names(await Store.ListAsync(new ListOptions { Kind = "ConfigMap", LabelSelector = LabelSelectorQuery.Parse("app=sleep") })));
        Assert.Equal(["c"], Names(await Store.ListAsync(new ListOptions { LabelSelector = LabelSelectorQuery.Parse("app in (sleep),version") })));
        Assert.Equal(["bar", "foo"], Names(await Store.ListAsync(new ListOptions { Kind = "Namespace" })));
        var everythingInFoo = await Store.ListAsync(new ListOptions { Namespace = "foo" });
        Assert.Equal(3, everythingInFoo.Items.Length);
        Assert.Equal(await Store.GetRevisionAsync(), everythingInFoo.Revision);

        static string[] Names(ResourceList list) => [.. list.Items.Select(r => r.Metadata.Name)];
    }

    [Fact]
    public async Task A_watch_resumes_after_a_resource_version_and_follows_new_changes()
    {
        await Store.CreateAsync(Namespace("foo"));
        var a = await Store.CreateAsync(ConfigMap("foo", "a"));
        await Store.CreateAsync(ConfigMap("foo", "b"));
        await Store.PutAsync(ConfigMap("foo", "a", "two"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var seen = new List<StoreEvent>();
        await using var watch = Store.WatchAsync(long.Parse(a.Metadata.ResourceVersion!), cts.Token).GetAsyncEnumerator(cts.Token);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await watch.MoveNextAsync());
            seen.Add(watch.Current);
        }
        var next = watch.MoveNextAsync().AsTask();
        await Store.DeleteAsync(Key(a));
        Assert.True(await next);
        seen.Add(watch.Current);

        Assert.Equal(
            [(StoreEventType.Added, "b"), (StoreEventType.Modified, "a"), (StoreEventType.Deleted, "a")],
            seen.Select(e => (e.Type, e.Object.Metadata.Name)));
        Assert.All(seen, e => Assert.Equal(e.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Object.Metadata.ResourceVersion));
        Assert.Equal("two", ((ConfigMap)seen[1].Object).Data["value"]);
    }

    [Fact]
    public async Task A_watch_from_before_the_retained_feed_is_expired()
    {
        await using var small = await CreateStoreAsync(eventRetention: 2);
        await small.CreateAsync(Namespace("foo"));
        for (var i = 0; i < 5; i++) await small.CreateAsync(ConfigMap("foo", $"c{i}"));

        var error = await Assert.ThrowsAsync<StoreException>(async () =>
        {
            await foreach (var _ in small.WatchAsync(1)) { }
        });
        Assert.Equal(StoreErrorKind.Expired, error.Kind);
    }

    [Fact]
    public async Task Apply_keeps_the_status_the_runtime_wrote()
    {
        await Store.CreateAsync(Namespace("foo"));
        var pod = new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "sleep-1", Namespace = "foo" },
            Spec = new PodSpec { Containers = [new Container { Name = "sleep", Image = "curl" }] },
        };
        await Store.ApplyAsync([pod]);
        await Store.PutAsync(pod with { Status = new PodStatus { Phase = "Running", PodIP = "127.0.1.2" } });

        var reapplied = await Store.ApplyAsync([pod]);

        Assert.Equal(ApplyOutcome.Unchanged, reapplied[0].Outcome);
        Assert.Equal("Running", ((Pod)reapplied[0].Resource).Status.Phase);
    }

    private static Service Service(string name, string? clusterIp = null) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = "foo" },
        Spec = new ServiceSpec { ClusterIp = clusterIp, Ports = [new ServicePort { Port = 8000 }] },
    };

    [Fact]
    public async Task Services_get_distinct_clusterIPs_from_the_Service_range_that_a_reapply_keeps()
    {
        await Store.ApplyAsync([StoreFixtures.Namespace("foo")]);
        var applied = await Store.ApplyAsync([Service("httpbin"), Service("sleep")]);
        var created = (Service)await Store.CreateAsync(Service("echo"));
        var range = System.Net.IPNetwork.Parse(ServiceSpec.ClusterIpRange);
        var addresses = applied.Select(a => ((Service)a.Resource).Spec.ClusterIp).Append(created.Spec.ClusterIp).ToList();
        Assert.All(addresses, a => Assert.True(range.Contains(System.Net.IPAddress.Parse(a!)), $"{a} is outside {range}"));
        Assert.Equal(3, addresses.Distinct().Count());

        var reapplied = await Store.ApplyAsync([Service("httpbin")]);
        Assert.Equal(ApplyOutcome.Unchanged, reapplied[0].Outcome);
        Assert.Equal(addresses[0], ((Service)reapplied[0].Resource).Spec.ClusterIp);
        var put = (Service)await Store.PutAsync(Service("sleep"));
        Assert.Equal(addresses[1], put.Spec.ClusterIp);
    }

    [Fact]
    public async Task A_given_clusterIP_is_kept_when_free_and_refused_when_taken_outside_the_range_or_changed()
    {
        await Store.ApplyAsync([StoreFixtures.Namespace("foo")]);
        var given = (Service)await Store.CreateAsync(Service("httpbin", "10.96.0.10"));
        Assert.Equal("10.96.0.10", given.Spec.ClusterIp);
        var headless = (Service)await Store.CreateAsync(Service("db", "None"));
        Assert.Equal("None", headless.Spec.ClusterIp);

        var taken = await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(Service("other", "10.96.0.10")));
        Assert.Equal(StoreErrorKind.Invalid, taken.Kind);
        Assert.Contains("already allocated", taken.Message, StringComparison.Ordinal);
        var outside = await Assert.ThrowsAsync<StoreException>(() => Store.ApplyAsync([Service("far", "192.168.0.1")]));
        Assert.Contains("not in the valid range", outside.Message, StringComparison.Ordinal);
        var changed = await Assert.ThrowsAsync<StoreException>(() => Store.PutAsync(Service("httpbin", "10.96.0.11")));
        Assert.Contains("immutable", changed.Message, StringComparison.Ordinal);
        Assert.Null(await Store.FindAsync(new ResourceKey("Service", "foo", "other")));
    }
}

public sealed class InMemoryResourceStoreTests : ResourceStoreComplianceTests
{
    protected override Task<IResourceStore> CreateStoreAsync(int eventRetention = 10_000) =>
        Task.FromResult<IResourceStore>(new Meshwork.Store.InMemory.InMemoryResourceStore(eventRetention: eventRetention));
}
