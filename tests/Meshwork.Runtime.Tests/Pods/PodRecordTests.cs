using System.Collections.Immutable;
using Meshwork.Runtime.Pods;

namespace Meshwork.Runtime.Tests.Pods;

/// <summary>
/// pod.json is what `exec`, `logs` and the demo find a pod by: a record that cannot be read is a pod that is not there
/// ("no running pods found"), so writes that overlap (a container starting while its probe marks it ready) must each
/// leave a whole record.
/// </summary>
public sealed class PodRecordTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshwork-pod-record-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static PodRecord Record(int writer, int size) => new()
    {
        Namespace = "legacy",
        Name = "sleep-0",
        Deployment = "sleep",
        TemplateHash = "0",
        PodIp = "10.244.0.7",
        Containers =
        [
            new ContainerRecord
            {
                Name = "sleep",
                Command = ["sleep", "infinity"],
                // Records of different lengths, so that a shorter one written over a longer one shows.
                Environment = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                    Enumerable.Range(0, size).Select(i => KeyValuePair.Create($"VARIABLE_{i}", new string('x', 64)))),
                WorkingDirectory = "/",
                LogFile = "/dev/null",
                RestartCount = writer,
            },
        ],
    };

    [Fact]
    public void Overlapping_writes_each_leave_a_whole_record_and_the_reader_never_sees_a_broken_one()
    {
        const int writers = 4, writes = 500;
        int unreadable = 0, failed = 0, running = writers;
        Record(0, 1).Write(_directory);
        // Threads of their own, so that the writes really overlap whatever the thread pool's size.
        var threads = Enumerable.Range(1, writers).Select(writer => new Thread(() =>
        {
            for (var i = 0; i < writes; i++)
            {
                try { Record(writer, size: 1 + (i * 37 + writer * 11) % 120).Write(_directory); }
                catch (IOException) { Interlocked.Increment(ref failed); }
            }
            Interlocked.Decrement(ref running);
        })).ToList();
        threads.ForEach(t => t.Start());
        while (Volatile.Read(ref running) > 0)
        {
            if (PodRecord.Read(_directory) is null) unreadable++;
        }
        threads.ForEach(t => t.Join());

        Assert.Equal((0, 0), (unreadable, failed));
        var last = PodRecord.Read(_directory);
        Assert.NotNull(last);
        Assert.InRange(last.Containers[0].RestartCount, 1, writers);
        Assert.Equal([PodRecord.FileName], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }
}
