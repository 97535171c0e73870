namespace LoadBalancing.Connections;

/// <summary>
/// A hashed timing wheel with one-second slots (Varghese and Lauck's scheme 6): an entry due at second
/// <c>t</c> sits in slot <c>t mod 4096</c>; timeouts longer than the wheel's 68 minutes simply stay in their
/// slot for more rounds. Advancing costs one slot per elapsed second plus the entries actually due, never a
/// scan of the table.
/// </summary>
/// <remarks>
/// Entries are never removed from a slot: a slot entry is live only while its due second equals the
/// connection's <see cref="Connection.ScheduledSecond"/>, so re-scheduling an entry earlier just adds a new
/// slot entry and the old one is dropped when its slot comes round. Each slot has its own lock, so packet
/// workers adding entries rarely contend.
/// </remarks>
internal sealed class TimerWheel
{
    private const int SlotBits = 12;
    private const int SlotCount = 1 << SlotBits;
    private const long SlotMask = SlotCount - 1;

    private readonly List<Entry>[] _slots = new List<Entry>[SlotCount];
    private long _processedSecond;

    public TimerWheel(long startSecond)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = [];
        }

        _processedSecond = startSecond;
    }

    /// <summary>The wheel second an absolute millisecond time falls due in (rounded up, so nothing fires early).</summary>
    public static long SecondOf(long milliseconds) => (milliseconds + 999) / 1000;

    public void Schedule(Connection connection, long dueSecond)
    {
        var slot = _slots[dueSecond & SlotMask];
        lock (slot)
        {
            slot.Add(new Entry(connection, dueSecond));
        }
    }

    /// <summary>
    /// Moves the wheel to <paramref name="nowSecond"/> and collects the live entries due by then. Not thread-safe
    /// against itself: the owner serializes calls.
    /// </summary>
    public void Advance(long nowSecond, List<Connection> due)
    {
        // After a long pause each slot needs visiting once, not once per missed second.
        var from = Math.Max(_processedSecond + 1, nowSecond - SlotMask);
        for (var second = from; second <= nowSecond; second++)
        {
            var slot = _slots[second & SlotMask];
            lock (slot)
            {
                var kept = 0;
                for (var i = 0; i < slot.Count; i++)
                {
                    var entry = slot[i];
                    var connection = entry.Connection;
                    if (connection.IsRemoved || connection.ScheduledSecond != entry.DueSecond)
                    {
                        continue; // superseded by an earlier slot entry, or already expired
                    }

                    if (entry.DueSecond <= nowSecond)
                    {
                        due.Add(connection);
                    }
                    else
                    {
                        slot[kept++] = entry; // a later round
                    }
                }

                slot.RemoveRange(kept, slot.Count - kept);
            }
        }

        _processedSecond = Math.Max(_processedSecond, nowSecond);
    }

    private readonly record struct Entry(Connection Connection, long DueSecond);
}
