namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// Frame counters of a Direct-Routing forwarder (all workers together). Per-service and per-server connection,
/// packet and byte counters are kept by the connection table in <see cref="Runtime.TrafficStatistics"/>.
/// </summary>
public sealed class DirectRoutingStatistics
{
    private readonly long[] _byVerdict = new long[Enum.GetValues<DirectRoutingVerdict>().Length];
    private long _received;
    private long _sendErrors;
    private long _kernelDrops;
    private long _fastPathPackets;
    private long _fastPathBytes;
    private long _fastPathFlows;
    private long _fastPathErrors;
    private long _kernelScheduled;
    private long _kernelReused;
    private long _fastPathWithdrawn;

    /// <summary>Gets the frames received from the packet socket(s).</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Gets the frames forwarded to real servers.</summary>
    public long Forwarded => this[DirectRoutingVerdict.Forward];

    /// <summary>Gets the frames dropped because their headers were truncated or inconsistent.</summary>
    public long Malformed => this[DirectRoutingVerdict.Malformed];

    /// <summary>Gets the IP fragments dropped.</summary>
    public long Fragments => this[DirectRoutingVerdict.Fragment];

    /// <summary>Gets the IP packets of other transport protocols dropped.</summary>
    public long UnsupportedProtocol => this[DirectRoutingVerdict.UnsupportedProtocol];

    /// <summary>Gets the frames whose transmission failed (send error).</summary>
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>
    /// Gets the frames the kernel dropped before the forwarder saw them because a receive ring was full (the
    /// sockets' <c>PACKET_STATISTICS</c>, read about once a second): the forwarder is overloaded.
    /// </summary>
    public long KernelDrops => Volatile.Read(ref _kernelDrops);

    /// <summary>
    /// Gets the packets the XDP fast path forwarded in the kernel (<see cref="DirectRoutingOptions.Xdp"/>), as folded
    /// in about once a second; they are not in <see cref="Received"/> or <see cref="Forwarded"/>.
    /// </summary>
    public long FastPathPackets => Volatile.Read(ref _fastPathPackets);

    /// <summary>Gets the IP bytes of <see cref="FastPathPackets"/>.</summary>
    public long FastPathBytes => Volatile.Read(ref _fastPathBytes);

    /// <summary>Gets the number of flows handed to the XDP fast path so far.</summary>
    public long FastPathFlows => Volatile.Read(ref _fastPathFlows);

    /// <summary>Gets the number of flows in the XDP fast path now (handed over and not yet withdrawn on FIN, RST, expiry or a server change).</summary>
    public long FastPathActiveFlows => FastPathFlows - Volatile.Read(ref _fastPathWithdrawn);

    /// <summary>
    /// Gets the number of new connections the kernel fast path scheduled itself (<see cref="DirectRoutingOptions.KernelScheduling"/>),
    /// as adopted into the connection table about once a second; they are also in <see cref="FastPathFlows"/>.
    /// </summary>
    public long KernelScheduled => Volatile.Read(ref _kernelScheduled);

    /// <summary>
    /// Gets the number of SYNs that reused a closed connection's tuple and that the kernel fast path kept on that
    /// connection's server itself (IPVS's <c>conn_reuse_mode</c> for a FIN_WAIT entry), as adopted about once a second.
    /// </summary>
    public long KernelReused => Volatile.Read(ref _kernelReused);

    /// <summary>Gets the number of flows the XDP fast path could not take (map update failed); they stay in user space.</summary>
    public long FastPathErrors => Volatile.Read(ref _fastPathErrors);

    /// <summary>Gets the number of frames that received a verdict.</summary>
    /// <param name="verdict">The verdict.</param>
    /// <returns>The count.</returns>
    public long this[DirectRoutingVerdict verdict] => Volatile.Read(ref _byVerdict[(int)verdict]);

    internal void Count(DirectRoutingVerdict verdict)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _byVerdict[(int)verdict]);
    }

    internal void CountKernelDrops(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _kernelDrops, count);
        }
    }

    internal void CountFastPath(long packets, long bytes)
    {
        Interlocked.Add(ref _fastPathPackets, packets);
        Interlocked.Add(ref _fastPathBytes, bytes);
    }

    internal void CountFastPathFlow() => Interlocked.Increment(ref _fastPathFlows);

    internal void CountFastPathWithdrawn() => Interlocked.Increment(ref _fastPathWithdrawn);

    internal void CountFastPathError() => Interlocked.Increment(ref _fastPathErrors);

    internal void CountKernelScheduled() => Interlocked.Increment(ref _kernelScheduled);

    internal void CountKernelReused(long count = 1) => Interlocked.Add(ref _kernelReused, count);

    internal void CountSendError() => Interlocked.Increment(ref _sendErrors);

    internal void CountSendErrors(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _sendErrors, count);
        }
    }
}
