using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Meshwork.ControlPlane.ConfigApi.PodExec;

/// <summary>
/// One exec over an accepted WebSocket: starts the command, relays stdin from the client and
/// stdout/stderr to it in the channel protocol's framing, then reports the exit on the error
/// stream and closes. The command is killed when the client goes away or the host stops.
/// </summary>
public sealed class ExecSession
{
    /// <summary>The largest relayed chunk; a larger message from the client is read in pieces.</summary>
    private const int ChunkBytes = 32 * 1024;

    /// <summary>How long output still buffered in the pipes may take to arrive once the command exited
    /// (a background child that keeps the pipe open must not hold the session forever).</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the client has to answer our close before the connection is dropped.</summary>
    private static readonly TimeSpan CloseLimit = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly string _protocol;
    private readonly ExecRequest _request;
    private readonly SemaphoreSlim _sending = new(1, 1);

    public ExecSession(WebSocket socket, string protocol, ExecRequest request)
    {
        _socket = socket;
        _protocol = protocol;
        _request = request;
    }

    /// <summary>Runs the command to its end; returns its exit code, or null when the client left first.</summary>
    public async Task<int?> RunAsync(ProcessStartInfo start, CancellationToken stopping)
    {
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            // As a shell reports a command it cannot run: a word on stderr and exit code 127.
            await SendAsync(ChannelProtocol.Stderr, Encoding.UTF8.GetBytes($"exec: \"{_request.Command[0]}\": {e.Message}\n"), stopping).ConfigureAwait(false);
            await FinishAsync(ChannelProtocol.NonZeroExit(_request.Command, 127), stopping).ConfigureAwait(false);
            return 127;
        }
        using (process)
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            if (!_request.Stdin) CloseStdin(process);
            var stdout = RelayAsync(process.StandardOutput.BaseStream, ChannelProtocol.Stdout, _request.Stdout, ended.Token);
            var stderr = RelayAsync(process.StandardError.BaseStream, ChannelProtocol.Stderr, _request.Stderr, ended.Token);
            var receiving = ReceiveAsync(process, ended.Token);
            var exited = process.WaitForExitAsync(ended.Token);
            try
            {
                if (await Task.WhenAny(exited, receiving).ConfigureAwait(false) != exited || exited.IsCanceled)
                {
                    // The client went away (or the host is stopping) before the command ended.
                    return null;
                }
                var drained = Task.WhenAll(stdout, stderr);
                if (await Task.WhenAny(drained, Task.Delay(DrainLimit, stopping)).ConfigureAwait(false) != drained) await ended.CancelAsync().ConfigureAwait(false);
                var code = process.ExitCode;
                await FinishAsync(code == 0 ? ChannelProtocol.Success() : ChannelProtocol.NonZeroExit(_request.Command, code), stopping).ConfigureAwait(false);
                await Task.WhenAny(receiving, Task.Delay(CloseLimit, stopping)).ConfigureAwait(false);
                return code;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                return null;
            }
            finally
            {
                await ended.CancelAsync().ConfigureAwait(false);
                if (!process.HasExited)
                {
                    try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                }
                await Quietly(Task.WhenAll(stdout, stderr, receiving)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Copies one of the command's outputs to its stream; output the client did not ask for is read and dropped.</summary>
    private async Task RelayAsync(Stream output, byte channel, bool wanted, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes + 1);
        try
        {
            while (true)
            {
                var read = await output.ReadAsync(buffer.AsMemory(1, ChunkBytes), cancellationToken).ConfigureAwait(false);
                if (read == 0) return;
                if (!wanted) continue;
                buffer[0] = channel;
                await SendFramedAsync(buffer.AsMemory(0, read + 1), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the client's messages until it closes: stdin bytes to the command, v5's close signal
    /// for stdin, resize requests (no terminal here, so nothing to resize). Ends when the client
    /// closes or the connection drops.
    /// </summary>
    private async Task ReceiveAsync(Process process, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var stdinOpen = _request.Stdin;
        try
        {
            var channel = -1;
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close) return;
                var payload = buffer.AsMemory(0, result.Count);
                if (channel < 0 && payload.Length > 0)
                {
                    channel = payload.Span[0];
                    payload = payload[1..];
                }
                if (result.MessageType == WebSocketMessageType.Binary && payload.Length > 0)
                {
                    if (channel == ChannelProtocol.Stdin && stdinOpen)
                    {
                        stdinOpen = await WriteStdinAsync(process, payload, cancellationToken).ConfigureAwait(false);
                    }
                    else if (channel == ChannelProtocol.Close && _protocol == ChannelProtocol.V5 && payload.Span[0] == ChannelProtocol.Stdin && stdinOpen)
                    {
                        stdinOpen = false;
                        CloseStdin(process);
                    }
                }
                if (result.EndOfMessage) channel = -1;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The connection dropped or the session is over.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>False once the command no longer reads its stdin (a broken pipe): what follows is dropped.</summary>
    private static async Task<bool> WriteStdinAsync(Process process, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await process.StandardInput.BaseStream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            CloseStdin(process);
            return false;
        }
    }

    private static void CloseStdin(Process process)
    {
        try { process.StandardInput.Close(); } catch (IOException) { }
    }

    private async Task SendAsync(byte channel, byte[] data, CancellationToken cancellationToken)
    {
        var framed = new byte[data.Length + 1];
        framed[0] = channel;
        data.CopyTo(framed, 1);
        await SendFramedAsync(framed, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendFramedAsync(ReadOnlyMemory<byte> framed, CancellationToken cancellationToken)
    {
        // A WebSocket takes one send at a time; stdout and stderr take turns.
        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(framed, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The Status on the error stream, then a normal close: kubectl reads the Status once the connection closes.</summary>
    private async Task FinishAsync(byte[] status, CancellationToken cancellationToken)
    {
        await SendAsync(ChannelProtocol.Error, status, cancellationToken).ConfigureAwait(false);
        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task Quietly(Task task)
    {
        try { await task.ConfigureAwait(false); } catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
    }
}
