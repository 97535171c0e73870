namespace LoadBalancing.Connections;

/// <summary>Flags of a connection entry, after IPVS's <c>IP_VS_CONN_F_*</c>.</summary>
[Flags]
#pragma warning disable CA1711 // The name mirrors IPVS's IP_VS_CONN_F_* connection flags.
public enum ConnectionFlags
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>A persistence template (<c>IP_VS_CONN_F_TEMPLATE</c>), counted in PersistConn.</summary>
    Template = 0x1,

    /// <summary>
    /// Replies bypass the director (DR, TUN, local): the TCP and SCTP state machines use their INPUT-ONLY table
    /// (<c>IP_VS_CONN_F_NOOUTPUT</c>). Cleared when an OUTPUT packet is seen.
    /// </summary>
    NoOutput = 0x2,

    /// <summary>The entry counts in InActConn rather than ActiveConn (<c>IP_VS_CONN_F_INACTIVE</c>).</summary>
    Inactive = 0x4,

    /// <summary>A template whose real server became unusable; it is no longer found and only waits for its timer.</summary>
    Invalidated = 0x8,
}
