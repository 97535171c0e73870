namespace LoadBalancing.Model;

/// <summary>How packets reach a real server. Values are IPVS's <c>IP_VS_CONN_F_*</c> forwarding codes.</summary>
public enum ForwardingMethod
{
    /// <summary>NAT (<c>-m</c>, ipvsadm's <c>Masq</c>): destination address and port rewritten.</summary>
    Masquerade = 0,

    /// <summary>Delivered to the director's own stack (ipvsadm's <c>Local</c>).</summary>
    Local = 1,

    /// <summary>IP-in-IP, GUE or GRE tunnelling (<c>-i</c>, ipvsadm's <c>Tunnel</c>).</summary>
    Tunnel = 2,

    /// <summary>Direct routing (<c>-g</c>, ipvsadm's <c>Route</c>): only the MAC address changes. The ipvsadm default.</summary>
    Route = 3,
}
