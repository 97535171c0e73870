using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <summary>
/// The switches of the connection table, after IPVS's sysctls in <c>/proc/sys/net/ipv4/vs/</c>
/// (Documentation/networking/ipvs-sysctl.rst). Defaults are the kernel's.
/// </summary>
public sealed record ConnectionTableOptions
{
    /// <summary>Gets the default options.</summary>
    public static ConnectionTableOptions Default { get; } = new();

    /// <summary>Gets the TCP ESTABLISHED, TCP FIN_WAIT and UDP timeouts (<c>ipvsadm --set</c>).</summary>
    public TimeoutConfig Timeouts { get; init; } = TimeoutConfig.Default;

    /// <summary>Gets a value indicating whether any TCP segment without RST may create an entry, not only a SYN (<c>sloppy_tcp</c>, off).</summary>
    public bool SloppyTcp { get; init; }

    /// <summary>Gets a value indicating whether any SCTP chunk may create an entry, not only INIT (<c>sloppy_sctp</c>, off).</summary>
    public bool SloppySctp { get; init; }

    /// <summary>
    /// Gets a value indicating whether a packet of an entry whose real server was deleted expires the entry at once
    /// so the packet is scheduled again (<c>expire_nodest_conn</c>, off: such packets are dropped silently). When on,
    /// a new connection (SYN, INIT) on an entry whose server has weight 0 is also rescheduled.
    /// </summary>
    public bool ExpireNodestConn { get; init; }

    /// <summary>
    /// Gets a value indicating whether a persistence template pointing at a weight-0 server is invalidated, so a
    /// returning client is scheduled again (<c>expire_quiescent_template</c>, off: stickiness survives quiescing).
    /// </summary>
    public bool ExpireQuiescentTemplate { get; init; }

    /// <summary>
    /// Gets the <c>conn_reuse_mode</c> bits (default 1): with bit 0, a SYN (or SCTP INIT) that hits a TCP entry in
    /// TIME_WAIT or CLOSE (SCTP: CLOSED) expires the old entry and schedules the connection anew; bit 1 adds
    /// FIN_WAIT entries of DR/TUN services. Entries controlled by a template are never rescheduled this way.
    /// </summary>
    public int ConnReuseMode { get; init; } = 1;
}
