using Meshwork.Api.Events;
using Meshwork.Model.Resources;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <remarks>The Kubernetes events the runtime reports about the pods it runs and the deployments it scales.</remarks>
public sealed partial class RuntimeHostTests
{
    private readonly RecordedEvents _events = new();

    /// <summary>The events in the order the runtime reported them (the config API's side is tested with the control plane).</summary>
    private sealed class RecordedEvents : IEventRecorder
    {
        private readonly List<ObjectEvent> _events = [];

        public void Record(ObjectEvent objectEvent)
        {
            lock (_events) _events.Add(objectEvent);
        }

        public bool Has(string kind, string name, string reason, string message)
        {
            lock (_events) return _events.Any(e => e.Subject.Kind == kind && e.Subject.Name == name && e.Reason == reason && e.Message == message);
        }

        public override string ToString()
        {
            lock (_events) return string.Join('\n', _events.Select(e => $"{e.Subject.Kind}/{e.Subject.Name} {e.Type} {e.Reason} {e.Component}: {e.Message}"));
        }
    }

    private Task UntilReportedAsync(string kind, string name, string reason, string message) =>
        Mw.EventuallyAsync(() => Task.FromResult(_events.Has(kind, name, reason, message)), Patience,
            async () => $"no {reason} event \"{message}\" about {kind}/{name}; reported:\n{_events}\n{await Describe()}");

    [Fact]
    public async Task Scheduling_starting_scaling_and_stopping_are_reported_as_kubernetes_words_them()
    {
        _api.Store(Sleep(replicas: 1));
        var pod = await ReadyPodAsync("sleep");
        var name = pod.Metadata.Name;
        var hash = pod.Metadata.Labels["pod-template-hash"];

        await UntilReportedAsync("Pod", name, "Scheduled", $"Successfully assigned demo/{name} to {Environment.MachineName}");
        await UntilReportedAsync("Pod", name, "Started", "Started container sleep");
        await UntilReportedAsync("Deployment", "sleep", "ScalingReplicaSet", $"Scaled up replica set sleep-{hash} to 1 from 0");

        _api.Store(Sleep(replicas: 0));
        await UntilReportedAsync("Deployment", "sleep", "ScalingReplicaSet", $"Scaled down replica set sleep-{hash} to 0 from 1");
        await UntilReportedAsync("Pod", name, "Killing", "Stopping container sleep");
    }

    [Fact]
    public async Task A_container_that_exits_is_reported_backing_off_as_a_warning()
    {
        _api.Store(Deployment("crash", 1, new Container { Name = "crash", Command = ["sh", "-c", "exit 3"] }));
        Pod? pod = null;
        await Mw.EventuallyAsync(() => Task.FromResult((pod = _api.Pods("demo").SingleOrDefault()) is not null), Patience, Describe);

        await UntilReportedAsync("Pod", pod!.Metadata.Name, "BackOff", $"Back-off restarting failed container crash in pod {pod.Metadata.Name}_demo");
        Assert.Contains($"Pod/{pod.Metadata.Name} Warning BackOff kubelet", _events.ToString());
    }
}
