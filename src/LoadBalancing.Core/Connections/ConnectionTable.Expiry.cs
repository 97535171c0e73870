namespace LoadBalancing.Connections;

/// <content>Expiry (<c>ip_vs_conn_expire</c>) and the connection listing.</content>
public sealed partial class ConnectionTable
{
    private readonly Lock _expireLock = new();
    private readonly List<Connection> _due = [];

    /// <summary>
    /// Expires the entries whose timers have run out, at the current time of the table's
    /// <see cref="TimeProvider"/>. Cost: one timer-wheel slot per elapsed second plus the entries due.
    /// </summary>
    /// <returns>The number of entries (templates included) removed.</returns>
    public int Expire()
    {
        lock (_expireLock)
        {
            var now = NowMilliseconds();
            _due.Clear();
            _wheel.Advance(now / 1000, _due);
            var removed = 0;
            var observer = HandshakeObserver;
            foreach (var connection in _due)
            {
                if (ExpireDue(connection, now, out var unanswered))
                {
                    removed++;
                    if (unanswered)
                    {
                        observer?.Unanswered(connection.Destination);
                    }
                }
            }

            _due.Clear();
            return removed;
        }
    }

    /// <summary>Starts a timer on the table's <see cref="TimeProvider"/> that calls <see cref="Expire"/> every second.</summary>
    /// <returns>The timer; dispose it to stop.</returns>
    public ITimer StartExpiryTimer()
        => _timeProvider.CreateTimer(static state => ((ConnectionTable)state!).Expire(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    /// <summary>
    /// Lists every entry, templates included, for <c>ipvsadm -Lc</c>. The order is unspecified, as the kernel's
    /// hash order is; the snapshot is taken without stopping packet processing.
    /// </summary>
    /// <returns>The entries.</returns>
    public IReadOnlyList<ConnectionEntry> GetEntries()
    {
        var now = NowMilliseconds();
        var entries = new List<ConnectionEntry>(_connections.Count + _templates.Count + _invalidatedTemplates.Count);
        foreach (var connection in _connections.Values)
        {
            Add(entries, connection, now);
        }

        foreach (var template in _templates.Values)
        {
            Add(entries, template, now);
        }

        foreach (var template in _invalidatedTemplates.Keys)
        {
            Add(entries, template, now);
        }

        return entries;

        static void Add(List<ConnectionEntry> entries, Connection connection, long now)
        {
            if (connection.IsRemoved)
            {
                return;
            }

            // ip_vs_check_template re-hashes an invalidated template with vport = dport = 0xffff, cport = 0.
            var invalidated = (connection.Flags & ConnectionFlags.Invalidated) != 0;
            entries.Add(new ConnectionEntry(
                connection.ProtocolName,
                TimeSpan.FromMilliseconds(Math.Max(0, connection.ExpiresMilliseconds - now)),
                connection.StateName,
                connection.ClientAddress,
                connection.ClientPort,
                connection.VirtualAddress,
                invalidated ? ushort.MaxValue : connection.VirtualPort,
                connection.DestinationAddress,
                invalidated ? ushort.MaxValue : connection.DestinationPort,
                connection.IsTemplate));
        }
    }

    /// <summary>A timer-wheel entry came due: expire it, or re-arm it when its timer was extended or it still controls entries.</summary>
    private bool ExpireDue(Connection connection, long now, out bool unanswered)
    {
        unanswered = false;
        lock (connection.SyncRoot)
        {
            if (connection.IsRemoved)
            {
                return false;
            }

            if (connection.ExpiresMilliseconds > now)
            {
                var due = TimerWheel.SecondOf(connection.ExpiresMilliseconds);
                connection.ScheduledSecond = due;
                _wheel.Schedule(connection, due);
                return false;
            }

            if (connection.ControlCount > 0)
            {
                // "do I control anybody?": a template outlives its connections. The kernel re-arms it for 60 s and
                // also leaves cp->timeout at 60 s, so later connections restart it with 60 s, not with -p.
                connection.TimeoutMilliseconds = Connection.ControllingRearmMilliseconds;
                connection.ScheduledSecond = long.MaxValue;
                connection.RestartTimer(now, _wheel);
                return false;
            }

            unanswered = connection.IsUnansweredHandshake;
            Remove(connection);
            return true;
        }
    }

    /// <summary>
    /// <c>ip_vs_conn_expire_now</c> for a packet that must be scheduled anew (reused tuple, deleted or drained
    /// server). The kernel fires the timer at once; here the entry is removed synchronously so the new entry
    /// can take its key. A template that still controls entries only has its timer cut short.
    /// </summary>
    private void ExpireNow(Connection connection, long now)
    {
        lock (connection.SyncRoot)
        {
            if (connection.IsRemoved)
            {
                return;
            }

            if (connection.ControlCount > 0)
            {
                connection.TimeoutMilliseconds = 0;
                connection.RestartTimer(now, _wheel);
                return;
            }

            Remove(connection);
        }
    }

    /// <summary>Unlinks and unbinds an entry. Call under its lock.</summary>
    private void Remove(Connection connection)
    {
        connection.IsRemoved = true;
        if (connection.IsTemplate)
        {
            if (!_templates.TryRemove(KeyValuePair.Create(connection.Key, connection)))
            {
                _invalidatedTemplates.TryRemove(connection, out _);
            }
        }
        else
        {
            _connections.TryRemove(KeyValuePair.Create(connection.Key, connection));
            if (connection.Method == Model.ForwardingMethod.Masquerade)
            {
                _replies.TryRemove(KeyValuePair.Create(ReplyKey(connection), connection));
            }

            // "does anybody control me?": the template stays until its own timer fires.
            connection.Template?.RemoveControlled();
        }

        connection.Unbind();
    }
}
