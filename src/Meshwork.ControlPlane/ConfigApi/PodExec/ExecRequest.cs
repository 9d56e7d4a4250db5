using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.ConfigApi.PodExec;

/// <summary>
/// The query of <c>/api/v1/namespaces/{ns}/pods/{name}/exec</c> as kubectl sends it
/// (core/v1 PodExecOptions): <c>command</c> once per word, <c>container</c>, and the
/// <c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>tty</c> switches.
/// </summary>
public sealed record ExecRequest(ImmutableArray<string> Command, string? Container, bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>Reads the query strictly: a switch is true, false, 1 or 0, and nothing else.</summary>
    public static ExecRequest? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        var command = query["command"].Where(w => w is not null).Select(w => w!).ToImmutableArray();
        if (command.IsEmpty || command[0].Length == 0)
        {
            error = "you must specify at least one command for the container";
            return null;
        }
        bool? stdin = Switch(query, "stdin", ref error), stdout = Switch(query, "stdout", ref error),
            stderr = Switch(query, "stderr", ref error), tty = Switch(query, "tty", ref error);
        if (error is not null) return null;
        if (stdin is not true && stdout is not true && stderr is not true)
        {
            error = "you must specify at least 1 of stdin, stdout, stderr";
            return null;
        }
        var container = query["container"].ToString();
        return new ExecRequest(command, container.Length == 0 ? null : container, stdin is true, stdout is true, stderr is true, tty is true);
    }

    private static bool? Switch(IQueryCollection query, string name, ref string? error)
    {
        var text = query[name].ToString();
        switch (text)
        {
            case "": return false;
            case "true" or "1": return true;
            case "false" or "0": return false;
            default:
                error ??= $"{name} \"{text}\" is not a boolean (true, false, 1 or 0)";
                return null;
        }
    }
}
