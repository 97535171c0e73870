using LoadBalancing.Model;

namespace LoadBalancing.Scheduling;

/// <summary>
/// The hash table and garbage collection shared by lblc and lblcr (<c>ip_vs_lblc.c</c>, <c>ip_vs_lblcr.c</c>,
/// Linux 6.x): 1024 buckets keyed by <c>hash_32(ntohl(fold(daddr)), 10)</c>, new entries at the bucket head.
/// Not thread-safe: the owning scheduler holds its lock.
/// </summary>
/// <remarks>
/// <para>
/// The kernel runs a timer every 60 s. On every 30th run (<c>counter % 30 == 0</c>, counter starting at 1) it
/// deletes every entry unused for the expiration time (24 h by default). Otherwise, if the entry counter is
/// over 16 × 1024 it walks the buckets after the rover and deletes entries unused for 6 min until
/// <c>min((entries − max)·4/3, max/2)</c> are gone (checked per bucket); if not, it only counts the run.
/// </para>
/// <para>
/// This table runs those timer ticks lazily: every pick first runs each tick that has fallen due since the last
/// pick, each with the tick's own time, in order. That is exact as far as anything can observe — entries change
/// only in picks and ticks, and ticks see exactly the state the kernel's would — and needs no timer: nothing to
/// dispose when the scheduler is replaced (<see cref="IScheduler"/> has no teardown hook), no thread-pool work
/// per service, and tests drive it with a fake clock without waiting for timer callbacks. The cost is that an
/// idle service keeps stale entries in memory until its next pick.
/// </para>
/// <para>
/// The entry counter mirrors the kernel's <c>tbl-&gt;entries</c>, including a quirk of <c>ip_vs_lblc_new</c>:
/// replacing an entry deletes the old one without decrementing, so the counter can run ahead of the real
/// number of entries and make the size-triggered collection start early. The 7.0-era cap on creating entries
/// past the maximum size (seen in a newer tree) is not applied.
/// </para>
/// </remarks>
internal sealed class LocalityTable<TEntry>
    where TEntry : LocalityEntry
{
    public const int TableBits = 10; // CONFIG_IP_VS_LBLC_TAB_BITS / CONFIG_IP_VS_LBLCR_TAB_BITS
    public const int TableSize = 1 << TableBits;
    public const int MaxSize = TableSize * 16;
    public const int CountForFullExpiration = 30;

    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan EntryTimeout = TimeSpan.FromMinutes(6);
    public static readonly TimeSpan DefaultExpiration = TimeSpan.FromHours(24);

    private const int TableMask = TableSize - 1;

    private readonly TEntry?[] _buckets = new TEntry?[TableSize];
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _entryTimeout;
    private long _nextCheck;
    private int _rover;
    private int _counter = 1;

    public LocalityTable(TimeProvider time, TimeSpan expiration)
    {
        _time = time;
        _interval = ToTimestamp(CheckInterval);
        _entryTimeout = ToTimestamp(EntryTimeout);
        Expiration = ToTimestamp(expiration);
        _nextCheck = time.GetTimestamp() + _interval;
    }

    /// <summary>Gets the expiration (<c>lblc_expiration</c> / <c>lblcr_expiration</c>) in timestamp units.</summary>
    public long Expiration { get; }

    /// <summary>Gets the kernel's entry counter (see remarks).</summary>
    public int Entries { get; private set; }

    /// <summary>Gets the number of entries actually in the table.</summary>
    public int Count { get; private set; }

    public long Now => _time.GetTimestamp();

    public static int Bucket(NetworkAddress address) => (int)IpvsHash.Hash32(address.Fold(), TableBits);

    /// <summary><c>ip_vs_lblc_get</c>: the first entry of the bucket with this address.</summary>
    public TEntry? Find(NetworkAddress address)
    {
        for (LocalityEntry? e = _buckets[Bucket(address)]; e is not null; e = e.Next)
        {
            if (e.Address == address)
            {
                return (TEntry)e;
            }
        }

        return null;
    }

    /// <summary><c>ip_vs_lblc_hash</c>: insert at the head of the bucket and count it.</summary>
    public void Add(TEntry entry)
    {
        var bucket = Bucket(entry.Address);
        entry.Next = _buckets[bucket];
        _buckets[bucket] = entry;
        Entries++;
        Count++;
    }

    /// <summary>
    /// Unlinks an entry. <paramref name="countDown"/> is false for <c>ip_vs_lblc_new</c>'s replacement, which
    /// does not decrement the kernel's counter.
    /// </summary>
    public void Remove(TEntry entry, bool countDown)
    {
        var bucket = Bucket(entry.Address);
        LocalityEntry? previous = null;
        for (LocalityEntry? e = _buckets[bucket]; e is not null; previous = e, e = e.Next)
        {
            if (ReferenceEquals(e, entry))
            {
                Unlink(bucket, previous, e);
                Count--;
                if (countDown)
                {
                    Entries--;
                }

                return;
            }
        }
    }

    /// <summary>Runs every garbage-collection tick due at or before <paramref name="now"/>.</summary>
    public void RunDueChecks(long now)
    {
        while (now >= _nextCheck)
        {
            if (_counter % CountForFullExpiration == 0)
            {
                var at = _nextCheck;
                if (Entries <= MaxSize)
                {
                    // With no picks in between, entries only age and the counter stays within bounds, so the
                    // ticks between due full checks only count and each full check deletes a superset of the
                    // previous one: running the last due one alone gives the same table.
                    var fullPeriod = _interval * CountForFullExpiration;
                    at += (now - at) / fullPeriod * fullPeriod;
                }

                FullCheck(at);
                _counter = 1;
                _nextCheck = at + _interval;
                continue;
            }

            if (Entries <= MaxSize)
            {
                // Quiet ticks only count; skip them in one step up to the next full check.
                var due = ((now - _nextCheck) / _interval) + 1;
                var step = (int)Math.Min(due, CountForFullExpiration - (_counter % CountForFullExpiration));
                _counter += step;
                _nextCheck += step * _interval;
                continue;
            }

            PartialCheck(_nextCheck);
            _nextCheck += _interval;
        }
    }

    private long ToTimestamp(TimeSpan span)
        => (long)((Int128)span.Ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private void FullCheck(long now)
    {
        if (Count == 0)
        {
            return;
        }

        // ip_vs_lblc_full_check: all buckets from rover + 1 round to rover; delete unless now < lastuse + expiration.
        var j = _rover;
        for (var i = 0; i < TableSize; i++)
        {
            j = (j + 1) & TableMask;
            var deleted = 0;
            DeleteStale(j, now, Expiration, ref deleted);
        }

        _rover = j;
    }

    private void PartialCheck(long now)
    {
        var goal = (Entries - MaxSize) * 4 / 3;
        goal = Math.Min(goal, MaxSize / 2);
        var j = _rover;
        for (var i = 0; i < TableSize; i++)
        {
            j = (j + 1) & TableMask;
            var deleted = 0;
            DeleteStale(j, now, _entryTimeout, ref deleted);
            goal -= deleted;
            if (goal <= 0)
            {
                break;
            }
        }

        _rover = j;
    }

    private void DeleteStale(int bucket, long now, long timeout, ref int deleted)
    {
        LocalityEntry? previous = null;
        var e = (LocalityEntry?)_buckets[bucket];
        while (e is not null)
        {
            var next = e.Next;
            if (now < e.LastUse + timeout)
            {
                previous = e;
            }
            else
            {
                Unlink(bucket, previous, e);
                Count--;
                Entries--;
                deleted++;
            }

            e = next;
        }
    }

    private void Unlink(int bucket, LocalityEntry? previous, LocalityEntry e)
    {
        if (previous is null)
        {
            _buckets[bucket] = (TEntry?)e.Next;
        }
        else
        {
            previous.Next = e.Next;
        }

        e.Next = null;
    }
}
