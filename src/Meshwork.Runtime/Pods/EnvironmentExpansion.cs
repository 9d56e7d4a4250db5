using System.Text;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Kubernetes' <c>$(VAR)</c> references in command, args and env values: a defined variable is
/// replaced, an undefined one is left as written, and <c>$$</c> escapes a dollar.
/// </summary>
public static class EnvironmentExpansion
{
    public static string Expand(string input, IReadOnlyDictionary<string, string> variables)
    {
        if (!input.Contains('$', StringComparison.Ordinal)) return input;
        var output = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c != '$' || i + 1 >= input.Length)
            {
                output.Append(c);
                continue;
            }
            var next = input[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i++;
            }
            else if (next == '(' && input.IndexOf(')', i + 2) is var close and > 0)
            {
                var name = input[(i + 2)..close];
                if (variables.TryGetValue(name, out var value)) output.Append(value);
                else output.Append(input, i, close - i + 1);
                i = close;
            }
            else
            {
                output.Append(c);
            }
        }
        return output.ToString();
    }
}
