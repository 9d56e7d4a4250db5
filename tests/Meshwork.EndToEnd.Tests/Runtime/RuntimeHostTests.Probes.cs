using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Pods;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>Kubernetes' readiness and liveness semantics on the runtime's real processes.</summary>
public sealed partial class RuntimeHostTests
{
    [Fact]
    public async Task A_container_without_a_readiness_probe_is_ready_once_running_even_if_it_never_listens()
    {
        _api.Store(Deployment("quiet", 1, new Container
        {
            Name = "quiet",
            Command = ["sleep", "infinity"],
            Ports = [new ContainerPort { Port = 8080, Name = "http" }],
        }));

        var pod = await ReadyPodAsync("quiet");

        Assert.Equal("running", pod.Status.ContainerStatuses.Single().State);
    }

    [Fact]
    public async Task An_exec_readiness_probe_decides_readiness_both_ways()
    {
        _api.Store(Deployment("gated", 1, new Container
        {
            Name = "gated",
            Command = ["sleep", "infinity"],
            ReadinessProbe = new Probe { Exec = new ExecAction { Command = ["test", "-f", "ready"] }, PeriodSeconds = 1, FailureThreshold = 1 },
        }));
        ContainerRecord? container = null;
        await Mw.EventuallyAsync(() =>
        {
            container = PodRecord.List(new StateDirectory(_state.Path), "demo").SelectMany(p => p.Containers).FirstOrDefault(c => c.State == "running");
            return Task.FromResult(container is not null);
        }, Patience, Describe);
        // The probe cannot pass before the file exists.
        Assert.DoesNotContain(_api.Pods("demo"), IsReady);

        var marker = Path.Combine(container!.WorkingDirectory, "ready");
        await File.WriteAllTextAsync(marker, "");
        await ReadyPodAsync("gated");

        File.Delete(marker);
        await Mw.EventuallyAsync(() => Task.FromResult(_api.Pods("demo").Single() is var p && !IsReady(p) && p.Status.ContainerStatuses.Single().RestartCount == 0), Patience, Describe);
    }

    [Fact]
    public async Task A_failing_http_liveness_probe_restarts_the_container()
    {
        _api.Store(Deployment("sickly", 1, new Container
        {
            Name = "sickly",
            Command = ["meshwork", "sample", "httpbin"],
            Ports = [new ContainerPort { Port = 8080, Name = "http" }],
            LivenessProbe = new Probe { HttpGet = new HttpGetAction { Path = "/status/500", Port = IntOrString.Of(8080) }, InitialDelaySeconds = 2, PeriodSeconds = 1, FailureThreshold = 2 },
        }));

        await Mw.EventuallyAsync(() => Task.FromResult(
            _api.Pods("demo").SingleOrDefault() is { } p && p.Status.ContainerStatuses.Single().RestartCount >= 1), Patience, Describe);

        lock (_log) Assert.Contains(_log, l => l.Contains("container sickly failed liveness probe, will be restarted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http_and_tcp_probes_on_a_named_port_pass_against_a_listening_app()
    {
        _api.Store(Deployment("healthy", 1, new Container
        {
            Name = "healthy",
            Command = ["meshwork", "sample", "httpbin"],
            Ports = [new ContainerPort { Port = 8080, Name = "http" }],
            ReadinessProbe = new Probe { HttpGet = new HttpGetAction { Path = "/status/200", Port = IntOrString.Of("http") }, PeriodSeconds = 1 },
            // Generous: the app may take a while to listen on a busy machine, and failing here restarts it.
            LivenessProbe = new Probe { TcpSocket = new TcpSocketAction { Port = IntOrString.Of("http") }, PeriodSeconds = 1, FailureThreshold = 60 },
        }));

        var pod = await ReadyPodAsync("healthy");

        Assert.Equal(0, pod.Status.ContainerStatuses.Single().RestartCount);
    }
}
