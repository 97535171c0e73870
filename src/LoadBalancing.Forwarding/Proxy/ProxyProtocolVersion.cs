namespace LoadBalancing.Forwarding.Proxy;

/// <summary>
/// Which PROXY protocol header (HAProxy's convention, <c>doc/proxy-protocol.txt</c>) the proxy sends to a real
/// server before the client's bytes, so the server learns the client's address.
/// </summary>
public enum ProxyProtocolVersion
{
    /// <summary>No header: the server sees the proxy as the client.</summary>
    None = 0,

    /// <summary>Version 1, the text header: <c>PROXY TCP4 &lt;client&gt; &lt;vip&gt; &lt;cport&gt; &lt;vport&gt;\r\n</c>.</summary>
    V1 = 1,

    /// <summary>Version 2, the binary header with its 12-byte signature (PROXY command, TCP over IPv4 or IPv6).</summary>
    V2 = 2,
}
