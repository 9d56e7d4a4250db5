using System.Collections.Concurrent;

namespace Meshwork.ControlPlane.Ca;

/// <summary>
/// A token bucket per key (a caller identity): <c>burst</c> requests at once, then one per
/// <c>refillInterval</c>. Keeps one proxy that loops on renewals from starving the CA for everyone.
/// </summary>
public sealed class TokenBucketLimiter(int burst, TimeSpan refillInterval, TimeProvider time)
{
    private sealed class Bucket
    {
        public double Tokens;
        public long Stamp;
    }

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token for <paramref name="key"/>; false when the bucket is empty.</summary>
    public bool TryAcquire(string key)
    {
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, _ => new Bucket { Tokens = burst, Stamp = now });
        lock (bucket)
        {
            var refilled = time.GetElapsedTime(bucket.Stamp, now) / refillInterval;
            bucket.Tokens = Math.Min(burst, bucket.Tokens + refilled);
            bucket.Stamp = now;
            if (bucket.Tokens < 1) return false;
            bucket.Tokens -= 1;
            return true;
        }
    }
}
