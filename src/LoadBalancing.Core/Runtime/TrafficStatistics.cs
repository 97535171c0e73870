namespace LoadBalancing.Runtime;

/// <summary>
/// Connection, packet and byte counters of a virtual service or real server (what <c>ipvsadm -L --stats</c>
/// shows). Updated lock-free by the forwarders.
/// </summary>
public sealed class TrafficStatistics
{
    private long _connections;
    private long _inPackets;
    private long _outPackets;
    private long _inBytes;
    private long _outBytes;

    /// <summary>Gets the number of connections scheduled.</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>Gets the packets received from clients.</summary>
    public long InPackets => Volatile.Read(ref _inPackets);

    /// <summary>Gets the packets sent back to clients (seen only with NAT and the proxy).</summary>
    public long OutPackets => Volatile.Read(ref _outPackets);

    /// <summary>Gets the bytes received from clients.</summary>
    public long InBytes => Volatile.Read(ref _inBytes);

    /// <summary>Gets the bytes sent back to clients.</summary>
    public long OutBytes => Volatile.Read(ref _outBytes);

    /// <summary>Counts a new connection.</summary>
    public void AddConnection() => Interlocked.Increment(ref _connections);

    /// <summary>Counts a client-to-server packet.</summary>
    /// <param name="bytes">The packet's size in bytes.</param>
    public void AddInbound(int bytes)
    {
        Interlocked.Increment(ref _inPackets);
        Interlocked.Add(ref _inBytes, bytes);
    }

    /// <summary>Counts client-to-server packets forwarded elsewhere (e.g. by a kernel fast path) in one step.</summary>
    /// <param name="packets">The number of packets.</param>
    /// <param name="bytes">Their size in bytes.</param>
    public void AddInbound(long packets, long bytes)
    {
        Interlocked.Add(ref _inPackets, packets);
        Interlocked.Add(ref _inBytes, bytes);
    }

    /// <summary>Counts a server-to-client packet.</summary>
    /// <param name="bytes">The packet's size in bytes.</param>
    public void AddOutbound(int bytes)
    {
        Interlocked.Increment(ref _outPackets);
        Interlocked.Add(ref _outBytes, bytes);
    }

    /// <summary>Sets every counter to zero (<c>ipvsadm -Z</c>).</summary>
    public void Reset()
    {
        Volatile.Write(ref _connections, 0);
        Volatile.Write(ref _inPackets, 0);
        Volatile.Write(ref _outPackets, 0);
        Volatile.Write(ref _inBytes, 0);
        Volatile.Write(ref _outBytes, 0);
    }
}
