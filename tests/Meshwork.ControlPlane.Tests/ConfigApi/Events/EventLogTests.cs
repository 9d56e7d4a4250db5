using System.Text.Json.Nodes;
using Meshwork.Api.Events;
using Meshwork.ControlPlane.ConfigApi.Events;
using Meshwork.Testing;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Events;

public sealed class EventLogTests
{
    private static ObjectEvent Event(string pod, string reason = "Started", string message = "Started container app") => new()
    {
        Subject = new EventSubject("Pod", "foo", pod),
        Type = ObjectEvent.Normal,
        Reason = reason,
        Message = message,
        Component = "kubelet",
    };

    [Fact]
    public void A_repeated_event_is_one_event_with_a_count_and_its_first_and_last_times()
    {
        var time = new FakeTimeProvider();
        var log = new EventLog(time);
        var first = log.Record(Event("web-1"));
        time.Advance(TimeSpan.FromSeconds(30));
        var again = log.Record(Event("web-1"));
        log.Record(Event("web-1", message: "Started container proxy"));

        var (items, _) = log.List("foo", _ => true);
        Assert.Equal(2, items.Length);
        Assert.Equal(first.Name, again.Name);
        Assert.Equal(2, again.Count);
        Assert.Equal(first.FirstTimestamp, again.FirstTimestamp);
        Assert.Equal(first.FirstTimestamp + TimeSpan.FromSeconds(30), again.LastTimestamp);
        Assert.NotEqual(first.ResourceVersion, again.ResourceVersion);
    }

    [Fact]
    public void Events_are_forgotten_an_hour_after_they_last_happened()
    {
        var time = new FakeTimeProvider();
        var log = new EventLog(time);
        log.Record(Event("old-1"));
        time.Advance(TimeSpan.FromMinutes(50));
        log.Record(Event("recent-1"));
        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(["recent-1"], log.List(null, _ => true).Items.Select(e => e.Subject.Name));
    }

    [Fact]
    public void Beyond_the_capacity_the_oldest_events_go_first()
    {
        var log = new EventLog(new FakeTimeProvider());
        for (var i = 0; i <= EventLog.Capacity; i++) log.Record(Event($"pod-{i}"));

        var items = log.List(null, _ => true).Items;
        Assert.Equal(EventLog.Capacity, items.Length);
        Assert.DoesNotContain(items, e => e.Subject.Name == "pod-0");
        Assert.Contains(items, e => e.Subject.Name == $"pod-{EventLog.Capacity}");
    }

    [Theory]
    [InlineData("""{"involvedObject":{"kind":"Pod","name":"p"},"reason":"Started","type":"Odd"}""", "type")]
    [InlineData("""{"involvedObject":{"kind":"Pod"},"reason":"Started"}""", "involvedObject.name: required")]
    [InlineData("""{"involvedObject":{"kind":"Pod","name":"p","colour":"red"},"reason":"Started"}""", "involvedObject: unknown field \"colour\"")]
    [InlineData("""{"reason":"Started"}""", "involvedObject: required")]
    public void A_reported_event_is_read_strictly_and_the_error_names_the_field(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => EventJson.Parse(JsonNode.Parse(json)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_message_longer_than_kubernetes_allows_is_refused()
    {
        var json = new JsonObject
        {
            ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["name"] = "p" },
            ["reason"] = "Started",
            ["message"] = new string('x', EventJson.MaxMessageLength + 1),
        };
        Assert.Contains("message: longer than", Assert.Throws<FormatException>(() => EventJson.Parse(json)).Message);
    }
}
