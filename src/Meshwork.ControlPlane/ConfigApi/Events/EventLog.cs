using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Api.Events;

namespace Meshwork.ControlPlane.ConfigApi.Events;

/// <summary>
/// The events of the mesh, kept in memory and bounded twice as the Kubernetes API server bounds
/// them: an event is forgotten an hour after it last happened (kube-apiserver's <c>--event-ttl</c>
/// default), and beyond <see cref="Capacity"/> events the oldest go first. An event that repeats
/// (the same object, reason, message and reporter) is one event with a count and a new last time,
/// as the kubelet's aggregation makes it. Events do not survive a restart of the control plane.
/// </summary>
public sealed class EventLog(TimeProvider time)
{
    public const int Capacity = 1000;
    public static readonly TimeSpan TimeToLive = TimeSpan.FromHours(1);

    private readonly object _gate = new();
    private readonly List<ObjectEvent> _events = [];
    private long _revision;

    /// <summary>Records <paramref name="reported"/>, or counts it again when it repeats; returns the event as kept.</summary>
    public ObjectEvent Record(ObjectEvent reported)
    {
        ArgumentNullException.ThrowIfNull(reported);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Expire(now);
            var rv = (++_revision).ToString(CultureInfo.InvariantCulture);
            var at = _events.FindIndex(e => IsRepeatOf(e, reported));
            if (at >= 0)
            {
                var repeated = _events[at] with { Count = _events[at].Count + 1, LastTimestamp = now, ResourceVersion = rv };
                _events.RemoveAt(at);
                _events.Add(repeated);
                return repeated;
            }
            var recorded = reported with
            {
                // Kubernetes' reporters name an event after its object and the time, in hex.
                Name = $"{reported.Subject.Name}.{now.UtcTicks:x}",
                Uid = Guid.NewGuid().ToString(),
                ResourceVersion = rv,
                FirstTimestamp = now,
                LastTimestamp = now,
                Count = 1,
            };
            _events.Add(recorded);
            if (_events.Count > Capacity) _events.RemoveAt(0);
            return recorded;
        }
    }

    /// <summary>The events of <paramref name="namespace"/> (null: all) that <paramref name="matches"/> keeps, oldest first.</summary>
    public (ImmutableArray<ObjectEvent> Items, string Revision) List(string? @namespace, Func<ObjectEvent, bool> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        lock (_gate)
        {
            Expire(time.GetUtcNow());
            var items = _events.Where(e => (@namespace is null || e.Namespace == @namespace) && matches(e)).ToImmutableArray();
            return (items, _revision.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Kept in order of last occurrence, so the expired ones are at the front.</summary>
    private void Expire(DateTimeOffset now)
    {
        var keep = _events.FindIndex(e => now - e.LastTimestamp < TimeToLive);
        _events.RemoveRange(0, keep < 0 ? _events.Count : keep);
    }

    private static bool IsRepeatOf(ObjectEvent kept, ObjectEvent reported) =>
        kept.Subject.Kind == reported.Subject.Kind
            && kept.Subject.Namespace == reported.Subject.Namespace
            && kept.Subject.Name == reported.Subject.Name
            && kept.Subject.FieldPath == reported.Subject.FieldPath
            && (kept.Subject.Uid is null || reported.Subject.Uid is null || kept.Subject.Uid == reported.Subject.Uid)
            && kept.Type == reported.Type
            && kept.Reason == reported.Reason
            && kept.Message == reported.Message
            && kept.Component == reported.Component;
}
