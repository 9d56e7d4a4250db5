using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Push.Deltas;

/// <summary>
/// Writes the lines of the snapshot stream with the shared parts copied from their one
/// serialization (<see cref="EncodedList"/>) instead of serialized again for every proxy. The
/// result reads back as the protocol's serializer would have written it (a test holds the two equal).
/// </summary>
public static class StreamLines
{
    private static readonly JsonWriterOptions Options = new() { SkipValidation = false };

    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>What an idle writer points at, so that it holds no stream's pipe alive; never written to.</summary>
    private static readonly ArrayBufferWriter<byte> Detached = new(1);

    /// <summary>A full snapshot line: <c>{"nonce":…,"snapshot":{…}}</c>, no trailing newline.</summary>
    public static byte[] Full(string nonce, ProxySnapshot snapshot) => ToArray(output => WriteFull(output, nonce, snapshot));

    /// <summary>A delta line: <c>{"nonce":…,"delta":{…}}</c>, only the parts that changed, no trailing newline.</summary>
    public static byte[] Delta(string nonce, DiffResult diff) => ToArray(output => WriteDelta(output, nonce, diff));

    /// <summary>
    /// Writes the full snapshot line straight into <paramref name="output"/> (the stream's pipe): a full line is
    /// as large as the snapshot (hundreds of KB with a thousand endpoints), and a copy of it per proxy would be a
    /// large-object allocation each, which in a reconnect storm is a thousand of them at once.
    /// </summary>
    public static void WriteFull(IBufferWriter<byte> output, string nonce, ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Write(output, nonce, "snapshot", snapshot, static (writer, snapshot) =>
        {
            var json = ProtocolJson.Default;
            // Declaration order of ProxySnapshot (SnapshotParts.Properties), as the generated serializer writes it.
            writer.WriteString("version", snapshot.Version);
            writer.WritePropertyName("node");
            JsonSerializer.Serialize(writer, snapshot.Node, json.ProxyNode);
            Raw(writer, "inbound", snapshot.Inbound, json.InboundPort);
            Raw(writer, "outbound", snapshot.Outbound, json.OutboundService);
            Raw(writer, "trustBundle", snapshot.TrustBundle, json.String);
            Raw(writer, "trustDomains", snapshot.TrustDomains, json.String);
            Raw(writer, "gateways", snapshot.Gateways, json.GatewayListener);
            Raw(writer, "httpRoutes", snapshot.HttpRoutes, json.VirtualHostRoutes);
            if (snapshot.InboundPassthrough is { } passthrough)
            {
                writer.WritePropertyName("inboundPassthrough");
                JsonSerializer.Serialize(writer, passthrough, json.InboundPort);
            }
            if (snapshot.Scope is { } scope)
            {
                writer.WritePropertyName("scope");
                JsonSerializer.Serialize(writer, scope, json.OutboundScope);
            }
        });
    }

    /// <summary>Writes the delta line straight into <paramref name="output"/>.</summary>
    public static void WriteDelta(IBufferWriter<byte> output, string nonce, DiffResult diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        Write(output, nonce, "delta", diff, static (writer, diff) =>
        {
            var delta = diff.Delta;
            var json = ProtocolJson.Default;
            writer.WriteString("baseVersion", delta.BaseVersion);
            writer.WriteString("version", delta.Version);
            if (delta.Node is { } node)
            {
                writer.WritePropertyName("node");
                JsonSerializer.Serialize(writer, node, json.ProxyNode);
            }
            // The keyed lists are written even when empty: a reader then never sees a missing list.
            Raw(writer, "inbound", delta.Inbound, json.InboundPort);
            Serialized(writer, "inboundRemoved", delta.InboundRemoved, json.ImmutableArrayInt32);
            writer.WritePropertyName("outbound");
            writer.WriteRawValue(diff.OutboundJson, skipInputValidation: true);
            Serialized(writer, "outboundRemoved", delta.OutboundRemoved, json.ImmutableArrayString);
            writer.WritePropertyName("outboundEndpoints");
            writer.WriteRawValue(diff.OutboundEndpointsJson, skipInputValidation: true);
            if (delta.TrustBundle is { } bundle) Raw(writer, "trustBundle", bundle, json.String);
            if (delta.TrustDomains is { } domains) Raw(writer, "trustDomains", domains, json.String);
            if (delta.Gateways is { } gateways) Raw(writer, "gateways", gateways, json.GatewayListener);
            if (delta.HttpRoutes is { } routes) Raw(writer, "httpRoutes", routes, json.VirtualHostRoutes);
            if (delta.InboundPassthrough is { } passthrough) Raw(writer, "inboundPassthrough", passthrough, json.InboundPort);
            if (delta.Scope is { } scope) Raw(writer, "scope", scope, json.OutboundScope);
        });
    }

    private static byte[] ToArray(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// One line: the envelope around <paramref name="body"/>. The writer is the thread's, reset onto each line's output (a
    /// push writes a line per proxy), and let go of the output when the line is done; the body is a static lambda over
    /// <paramref name="state"/>, so that a line allocates nothing but what it writes.
    /// </summary>
    private static void Write<TState>(IBufferWriter<byte> output, string nonce, string kind, TState state, Action<Utf8JsonWriter, TState> body)
    {
        ArgumentNullException.ThrowIfNull(output);
        // Taken off the thread while in use and not put back after a throw (a writer left mid-line is not reused).
        var writer = t_writer ?? new Utf8JsonWriter(output, Options);
        t_writer = null;
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteString("nonce", nonce);
        writer.WritePropertyName(kind);
        writer.WriteStartObject();
        body(writer, state);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        writer.Reset(Detached);
        t_writer = writer;
    }

    private static void Raw<T>(Utf8JsonWriter writer, string name, ImmutableArray<T> items, JsonTypeInfo<T> info)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(EncodedList.Of(items, info).Json, skipInputValidation: true);
    }

    private static void Serialized<T>(Utf8JsonWriter writer, string name, T value, JsonTypeInfo<T> info)
    {
        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, value, info);
    }
}
