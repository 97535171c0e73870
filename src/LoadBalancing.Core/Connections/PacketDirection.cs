namespace LoadBalancing.Connections;

/// <summary>The direction of a packet relative to an entry (IPVS <c>IP_VS_DIR_*</c>); the values index the state tables.</summary>
internal enum PacketDirection
{
    /// <summary>Client to real server.</summary>
    Input = 0,

    /// <summary>Real server to client (seen with NAT only).</summary>
    Output = 1,

    /// <summary>Client to real server on an entry whose replies bypass the director (NOOUTPUT).</summary>
    InputOnly = 2,
}
