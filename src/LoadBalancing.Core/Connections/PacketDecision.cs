using LoadBalancing.Runtime;

namespace LoadBalancing.Connections;

/// <summary>The connection table's answer for one packet.</summary>
/// <param name="Verdict">What to do with the packet.</param>
/// <param name="Connection">
/// The entry the packet belongs to; <see langword="null"/> unless <see cref="ConnectionVerdict.Forward"/>, and also
/// <see langword="null"/> for one-packet scheduling (<c>-o</c>), which keeps no entry.
/// </param>
/// <param name="Destination">The real server to forward to (inbound <see cref="ConnectionVerdict.Forward"/> only).</param>
/// <param name="DestinationPort">The real server port to rewrite to (NAT) or keep (DR/TUN).</param>
public readonly record struct PacketDecision(
    ConnectionVerdict Verdict,
    Connection? Connection,
    RealServerState? Destination,
    ushort DestinationPort)
{
    internal static PacketDecision NotScheduled => new(ConnectionVerdict.NotScheduled, null, null, 0);

    internal static PacketDecision NoDestination => new(ConnectionVerdict.NoDestination, null, null, 0);

    internal static PacketDecision Drop => new(ConnectionVerdict.Drop, null, null, 0);

    internal static PacketDecision ForConnection(Connection connection)
        => new(ConnectionVerdict.Forward, connection, connection.Destination, connection.DestinationPort);
}
