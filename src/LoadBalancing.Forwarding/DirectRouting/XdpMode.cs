namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>How the Direct-Routing forwarder's XDP fast path for established flows is attached (see <see cref="DirectRoutingOptions.Xdp"/>).</summary>
public enum XdpMode
{
    /// <summary>No XDP program: every frame goes through the packet sockets (default).</summary>
    Off,

    /// <summary>
    /// Generic (SKB) mode, <c>XDP_FLAGS_SKB_MODE</c>: works on every interface; the program runs after the kernel has
    /// built a socket buffer, so it saves less than native mode.
    /// </summary>
    Generic,

    /// <summary>
    /// Native (driver) mode, <c>XDP_FLAGS_DRV_MODE</c>: the program runs in the driver before any socket buffer
    /// exists. The interface's driver must support it (on a veth, <c>XDP_TX</c> also needs NAPI on the peer: an XDP
    /// program or GRO enabled there).
    /// </summary>
    Native,
}
