namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>Options of the <see cref="DirectRoutingForwarder"/>.</summary>
public sealed class DirectRoutingOptions
{
    /// <summary>Gets or sets the director's interface on the real servers' L2 segment, e.g. <c>eth0</c>. Required.</summary>
    public string InterfaceName { get; set; } = "";

    /// <summary>
    /// Gets or sets the number of receive workers, each with its own packet socket in one <c>PACKET_FANOUT</c>
    /// (hash) group; 0 means one per processor.
    /// </summary>
    public int Workers { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether workers read frames from a memory-mapped <c>TPACKET_V2</c> ring
    /// (default) rather than with one <c>recv()</c> per frame. Every frame is ready for the worker as soon as the kernel has copied it.
    /// </summary>
    public bool UseReceiveRing { get; set; } = true;

    /// <summary>
    /// Gets or sets how long a ring worker pauses after a batch that did not fill its send batch, so that the next
    /// frames arrive together (interrupt moderation, as a NIC's <c>rx-usecs</c>): one wake-up and one
    /// <c>sendmmsg()</c> for several frames instead of one per frame. The first frame after a quiet period is never
    /// delayed; under load a frame waits at most this long. Default 100 µs; <see cref="TimeSpan.Zero"/> turns it off
    /// (lowest latency, highest CPU per frame at moderate rates). Only with <see cref="UseReceiveRing"/>; at most 10 ms.
    /// </summary>
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMicroseconds(100);

    /// <summary>Gets or sets how often the kernel's neighbour table is re-read and unconfirmed real servers re-probed (default 1 s).</summary>
    public TimeSpan NeighbourRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long <see cref="DirectRoutingForwarder.StartAsync"/> waits for every real server's MAC
    /// address before it returns (default 2 s). Unresolved servers are not an error: their packets get
    /// <see cref="DirectRoutingVerdict.NoNeighbour"/> until resolved.
    /// </summary>
    public TimeSpan StartupResolutionTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how long a blocked receive waits before a worker looks for a stop request (default 100 ms).</summary>
    public TimeSpan ReceivePollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Gets or sets a value indicating whether the open connections of a real server removed from its service keep
    /// being forwarded to it until they end (default); <see langword="false"/> drops their packets, as IPVS does
    /// without <c>expire_nodest_conn</c>. New connections never go to a removed server either way.
    /// </summary>
    public bool DrainRemovedServers { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether the forwarder runs the connection table's once-a-second expiry timer
    /// while it is started (default). Turn it off when another component that shares the table (the proxy
    /// forwarder, a host) already runs it.
    /// </summary>
    public bool RunConnectionTableExpiry { get; set; } = true;

    /// <summary>
    /// Gets or sets whether scheduled IPv4 TCP/UDP flows are forwarded by a program in the kernel (XDP:
    /// <see cref="XdpMode.Generic"/> or <see cref="XdpMode.Native"/>; a tcx classifier: <see cref="XdpMode.Tc"/>)
    /// instead of passing through the packet sockets; default <see cref="XdpMode.Off"/>. User space still schedules
    /// every connection and sees every SYN; it puts a flow into the program's map when it forwards the SYN (UDP: the
    /// first datagram), and every second folds the kernel's per-flow counters into the connection table with the
    /// state transitions of the ACKs, FINs and RSTs the kernel forwarded (so they apply up to a second late).
    /// Needs CAP_BPF and CAP_NET_ADMIN (root) and Linux 5.9 or later (BPF links for XDP), 6.6 or later for tcx.
    /// </summary>
    public XdpMode Xdp { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether, with <see cref="Xdp"/> on, the kernel program also schedules new TCP
    /// connections of the services where that keeps IPVS's semantics (default <see langword="true"/>): IPv4 TCP,
    /// <c>rr</c> or <c>wrr</c>, not persistent, no connection thresholds, every server Direct-Routing (at most 16
    /// such services). User space takes the service scheduler's next picks ahead of time and publishes them in a
    /// memory-mapped ring; the program gives each bare SYN the next pick in order, makes the flow and forwards it,
    /// so a connection never passes through user space. The table learns each such connection (counters, listing,
    /// lc of other services are unaffected) when the kernel's map is read, about once a second. When a server, a
    /// weight, health or a MAC changes, the published picks are withdrawn at once and taken afresh. Needs Linux
    /// 5.12 or later (atomic fetch-and-add).
    /// </summary>
    public bool KernelScheduling { get; set; } = true;

    /// <summary>Gets or sets the capacity of the XDP flow map (an LRU hash; default 65 536, 1 to 16 777 216).</summary>
    public int XdpMaxFlows { get; set; } = 65_536;

    internal int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;
}
