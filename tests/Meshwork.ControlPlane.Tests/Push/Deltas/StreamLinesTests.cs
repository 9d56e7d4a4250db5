using System.Text.Json;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Push.Deltas.DeltaMeshes;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

public sealed class StreamLinesTests
{
    [Fact]
    public void A_full_line_is_byte_for_byte_what_the_protocol_serializer_writes()
    {
        var snapshot = Generate(Sequence()[^1]);

        var line = StreamLines.Full("7", snapshot);

        var expected = JsonSerializer.SerializeToUtf8Bytes(new SnapshotEnvelope { Nonce = "7", Snapshot = snapshot }, ProtocolJson.Default.SnapshotEnvelope);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void A_delta_line_reads_back_as_the_delta_it_was_written_from()
    {
        var meshes = Sequence();
        var diff = SnapshotDiff.Between(Generate(meshes[1]), Generate(meshes[3]))!;

        var read = JsonSerializer.Deserialize(StreamLines.Delta("9", diff), ProtocolJson.Default.SnapshotUpdate)!;

        Assert.Null(read.Snapshot);
        Assert.Equal("9", read.Nonce);
        Assert.Equal(JsonSerializer.Serialize(diff.Delta, ProtocolJson.Default.SnapshotDelta), JsonSerializer.Serialize(read.Delta!, ProtocolJson.Default.SnapshotDelta));
    }

    [Fact]
    public void Every_snapshot_property_is_hashed_diffed_and_written()
    {
        // A property added to ProxySnapshot must be added to the version hash, the diff, the applier
        // and the line writer; SnapshotParts.Properties is the list they follow.
        Assert.Equal(SnapshotParts.Properties.Order(StringComparer.Ordinal), typeof(ProxySnapshot).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Equal_content_has_an_equal_version_and_any_change_a_different_one()
    {
        var meshes = Sequence();
        var versions = meshes.Select(m => Generate(m).Version).ToList();

        Assert.Equal(versions[0], Generate(meshes[0] with { }).Version);
        Assert.Equal(versions.Count, versions.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(versions[0], Generate(meshes[0], bundle: [.. Bundle, "another root"]).Version);
    }

    [Fact]
    public void A_shared_part_list_is_encoded_once()
    {
        var snapshot = Generate(Sequence()[0]);

        Assert.Same(EncodedList.Of(snapshot.Outbound, ProtocolJson.Default.OutboundService), EncodedList.Of(snapshot.Outbound, ProtocolJson.Default.OutboundService));
    }
}
