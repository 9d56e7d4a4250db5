namespace Meshwork.Api.Events;

/// <summary>Where a component reports what happened to the objects it manages. Recording never blocks nor throws.</summary>
public interface IEventRecorder
{
    void Record(ObjectEvent objectEvent);

    /// <summary>For components run without an API to report to (a test of the runtime alone).</summary>
    public static IEventRecorder None { get; } = new NoRecorder();

    private sealed class NoRecorder : IEventRecorder
    {
        public void Record(ObjectEvent objectEvent)
        {
        }
    }
}
