namespace LoadBalancing.Listing;

/// <summary>
/// The five counters ipvsadm lists: totals for <c>--stats</c> (connections, packets, bytes) or per-second
/// estimates for <c>--rate</c> (CPS, InPPS, OutPPS, InBPS, OutBPS).
/// </summary>
/// <param name="Connections">Connections (or connections per second).</param>
/// <param name="InPackets">Incoming packets (or per second).</param>
/// <param name="OutPackets">Outgoing packets (or per second).</param>
/// <param name="InBytes">Incoming bytes (or per second).</param>
/// <param name="OutBytes">Outgoing bytes (or per second).</param>
public readonly record struct ListingCounters(ulong Connections, ulong InPackets, ulong OutPackets, ulong InBytes, ulong OutBytes);
