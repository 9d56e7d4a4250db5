using System.Text;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// A VirtualService's header edits for one direction in wire form, made once per snapshot: the field names the
/// forwarded head leaves out (lower case: the set and removed ones) and the field lines it gains (set and added).
/// Names and values were validated when the VirtualService was applied (tokens; no CR, LF or NUL).
/// </summary>
internal sealed class FieldEdits
{
    public static readonly FieldEdits None = new([], []);

    private FieldEdits(byte[][] dropped, byte[] added)
    {
        Dropped = dropped;
        Added = added;
    }

    public byte[][] Dropped { get; }
    /// <summary>"name: value\r\n" lines.</summary>
    public byte[] Added { get; }

    /// <summary>The edits, plus one more field set (the rewritten Host) when <paramref name="alsoSet"/> is given.</summary>
    public static FieldEdits Compile(HeaderEdits? edits, (string Name, string Value)? alsoSet = null)
    {
        if (edits is null && alsoSet is null) return None;
        var dropped = new List<string>();
        var added = new StringBuilder();
        if (edits is not null)
        {
            foreach (var set in edits.Set.IsDefault ? [] : edits.Set) { dropped.Add(set.Name); added.Append(set.Name).Append(": ").Append(set.Value).Append("\r\n"); }
            foreach (var add in edits.Add.IsDefault ? [] : edits.Add) added.Append(add.Name).Append(": ").Append(add.Value).Append("\r\n");
            dropped.AddRange(edits.Remove.IsDefault ? [] : edits.Remove);
        }
        if (alsoSet is var (name, value)) { dropped.Add(name); added.Append(name).Append(": ").Append(value).Append("\r\n"); }
        return new FieldEdits([.. dropped.Select(n => Encoding.ASCII.GetBytes(n.ToLowerInvariant()))], Encoding.ASCII.GetBytes(added.ToString()));
    }

    /// <summary>True when <paramref name="name"/> is one the edits drop (ASCII case-insensitive).</summary>
    public bool Drops(string name)
    {
        foreach (var dropped in Dropped)
        {
            if (dropped.Length == name.Length && Ascii.EqualsIgnoreCase(dropped, name)) return true;
        }
        return false;
    }
}
