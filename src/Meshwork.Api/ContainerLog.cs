using System.Text;

namespace Meshwork.Api;

/// <summary>
/// Reads a container's log file as <c>kubectl logs</c> shows it: everything, or the last
/// <c>tail</c> lines, then (with follow) whatever is appended, polling, until cancelled. A file
/// that shrinks was rotated or truncated, and is read again from its start.
/// </summary>
public static class ContainerLog
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <param name="tail">Lines of recent output to copy first; -1 for all.</param>
    public static async Task CopyAsync(string file, int tail, bool follow, Stream output, CancellationToken cancellationToken)
    {
        long position = 0;
        if (tail >= 0 && File.Exists(file))
        {
            var lines = new StringBuilder();
            foreach (var line in File.ReadLines(file).TakeLast(tail)) lines.Append(line).Append('\n');
            await output.WriteAsync(Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken).ConfigureAwait(false);
            position = new FileInfo(file).Length;
        }
        while (true)
        {
            if (File.Exists(file))
            {
                var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                await using (stream.ConfigureAwait(false))
                {
                    if (stream.Length < position) position = 0;
                    stream.Seek(position, SeekOrigin.Begin);
                    await stream.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                    position = stream.Position;
                }
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (!follow) return;
            try { await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
        }
    }
}
