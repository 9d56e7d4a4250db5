using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.EndToEnd.Tests.Tutorials;

/// <summary>How a tutorial line's outcome is judged.</summary>
public enum LineCheck
{
    /// <summary>Run once; it must exit 0 and print what the tutorial shows (if anything).</summary>
    Once,
    /// <summary>Run until it prints what the tutorial shows: a policy or a new pod takes a moment to reach the proxies.</summary>
    Until,
    /// <summary>A line that never ends by itself (kubectl get -w): run it for a bounded time and judge what it printed.</summary>
    Bounded,
    /// <summary>Prints a counter ("name: value", as Envoy's /stats does): after the line's traffic it must have grown.</summary>
    Grows,
    /// <summary>Cannot hold in this mesh's mode, or belongs to another open issue: listed with the reason or that issue's title, not run.</summary>
    Pending,
}

/// <summary>
/// One kubectl/istioctl line of a tutorial, as typed there, and the outcome the tutorial states: the
/// output it shows (every piece must appear, in order), or for a pending line, why it is not run: what
/// the mesh's mode lacks, or the title of the issue that will turn it on.
/// </summary>
public sealed record TutorialLine(string Typed, LineCheck Check, IReadOnlyList<string> Shows, string? PendingOn = null)
{
    /// <summary>For <see cref="LineCheck.Grows"/>: the line whose requests the counter counts.</summary>
    public TutorialLine? Traffic { get; init; }

    public static TutorialLine Once(string typed, params string[] shows) => new(typed, LineCheck.Once, shows);

    public static TutorialLine Until(string typed, params string[] shows) => new(typed, LineCheck.Until, shows);

    public static TutorialLine Bounded(string typed, params string[] shows) => new(typed, LineCheck.Bounded, shows);

    public static TutorialLine Pending(string typed, string reason) => new(typed, LineCheck.Pending, [], reason);

    public static TutorialLine Grows(string typed, string counter, TutorialLine traffic) => new(typed, LineCheck.Grows, [counter]) { Traffic = traffic };

    /// <summary>The line with the program name replaced, as a user of the mesh types it (getmesh's istioctl is istioctl).</summary>
    public string AsTyped => WithRealKubectl.Replace("kubectl ", "meshwork ", StringComparison.Ordinal);

    /// <summary>The line as a user with the real kubectl types it: kubectl stays, istioctl's lines are meshwork's.</summary>
    public string WithRealKubectl => Typed.Replace("getmesh istioctl ", "istioctl ", StringComparison.Ordinal).Replace("istioctl ", "meshwork ", StringComparison.Ordinal);

    /// <summary>True when <paramref name="output"/> holds everything the tutorial shows, in order (on one line or several).</summary>
    public bool Holds(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var at = 0;
        foreach (var expected in Shows)
        {
            var found = output.IndexOf(expected, at, StringComparison.Ordinal);
            if (found < 0) return false;
            at = found + expected.Length;
        }
        return true;
    }

    /// <summary>The value of the counter a <see cref="LineCheck.Grows"/> line shows, or null when <paramref name="output"/> lacks it.</summary>
    public long? Counter(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var match = Regex.Match(output, Regex.Escape(Shows[0]) + @": (\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
