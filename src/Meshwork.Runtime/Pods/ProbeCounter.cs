using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// The kubelet's bookkeeping for one probe of one container run: the first attempt after
/// initialDelaySeconds, then one every periodSeconds; successThreshold successes in a row pass,
/// failureThreshold failures in a row fail, anything between keeps the last verdict.
/// </summary>
public sealed class ProbeCounter(Probe probe, DateTime started, bool passing)
{
    private DateTime _due = started + TimeSpan.FromSeconds(probe.InitialDelaySeconds);
    private int _successes;
    private int _failures;

    /// <summary>The verdict so far (readiness starts failing, liveness passing).</summary>
    public bool Passing { get; private set; } = passing;

    public bool IsDue(DateTime now) => now >= _due;

    /// <summary>Counts an attempt's outcome; returns the verdict after it.</summary>
    public bool Record(bool success, DateTime now)
    {
        _due = now + TimeSpan.FromSeconds(probe.PeriodSeconds);
        if (success)
        {
            _failures = 0;
            if (++_successes >= probe.SuccessThreshold) Passing = true;
        }
        else
        {
            _successes = 0;
            if (++_failures >= probe.FailureThreshold) Passing = false;
        }
        return Passing;
    }
}
