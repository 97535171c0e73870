using LoadBalancing.Model;

namespace LoadBalancing.Scheduling;

/// <summary>The fields of a packet that IPVS schedulers look at.</summary>
/// <param name="Protocol">The transport protocol.</param>
/// <param name="ClientAddress">The source address (sh, mh).</param>
/// <param name="ClientPort">The source port (sh-port, mh-port).</param>
/// <param name="DestinationAddress">The destination address (dh, lblc, lblcr).</param>
/// <param name="DestinationPort">The destination port.</param>
public readonly record struct SchedulingRequest(
    ServiceProtocol Protocol,
    NetworkAddress ClientAddress,
    ushort ClientPort,
    NetworkAddress DestinationAddress,
    ushort DestinationPort);
