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

    /// <summary>
    /// Not XDP but the same fast path at the traffic-control ingress hook (a tcx link, Linux 6.6 or later): the
    /// program runs on the socket buffer after the packet taps and forwards with <c>bpf_redirect</c>; the packet
    /// sockets are then bound to <c>ETH_P_IP</c>/<c>ETH_P_IPV6</c>, so they run after it and see only the frames it
    /// passes, which it marks <c>PACKET_OTHERHOST</c> when they go to a virtual address (the netdev drop rule lets
    /// those on, the kernel's IP stack drops them). Unlike generic XDP it does
    /// not copy a cloned or headroom-short buffer (every TCP segment a local stack sends, every small UDP datagram),
    /// so it is the cheapest mode on veth and other virtual interfaces.
    /// </summary>
    Tc,
}
