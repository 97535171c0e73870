namespace LoadBalancing.Agent.Configuration;

/// <summary>How the director forwards packets for a VIP to this real server (ipvsadm <c>-g</c> / <c>-i</c>).</summary>
public enum ForwardingMethod
{
    /// <summary>Direct routing (<c>-g</c>, keepalived <c>lvs_method DR</c>): the VIP on <c>lo</c>, ARP suppressed.</summary>
    Dr = 0,

    /// <summary>IP-in-IP tunnelling (<c>-i</c>, <c>lvs_method TUN</c>): DR's setup plus <c>tunl0</c> and loose <c>rp_filter</c>.</summary>
    Tun = 1,
}
