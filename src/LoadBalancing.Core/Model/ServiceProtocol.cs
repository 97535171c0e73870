namespace LoadBalancing.Model;

/// <summary>The transport protocol of a virtual service. Values are the IP protocol numbers.</summary>
public enum ServiceProtocol
{
    /// <summary>TCP (<c>-t</c>, <c>--tcp-service</c>).</summary>
    Tcp = 6,

    /// <summary>UDP (<c>-u</c>, <c>--udp-service</c>).</summary>
    Udp = 17,

    /// <summary>SCTP (<c>--sctp-service</c>).</summary>
    Sctp = 132,
}
