using System.IO.Pipelines;

namespace Meshwork.ProxyProtocol.ControlPlaneApi;

/// <summary>How a proxy reads the snapshot stream's lines: the one setting shared by every reader of it.</summary>
public static class StreamReading
{
    /// <summary>
    /// Lines are read in pooled 64 KB segments, and a segment is rented only once data has arrived:
    /// the reader first waits with a zero-byte read (HTTP/2 response streams and TLS support them).
    /// Renting before the wait holds a segment for every idle stream, for the hours between changes;
    /// where many streams share a process (a control plane's tests, the push benchmark) the pool
    /// cannot keep that many, and every line then costs a fresh 64 KB array and the GC work after it.
    /// </summary>
    public static PipeReader Lines(Stream stream, bool leaveOpen)
        => PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: leaveOpen, useZeroByteReads: true));
}
