using System.Net;

namespace LoadBalancing.Agent.Network;

/// <summary>One address of an interface as rtnetlink reports it (RTM_NEWADDR in a GETADDR dump).</summary>
internal sealed record InterfaceAddress(int InterfaceIndex, IPAddress Address, byte PrefixLength, byte Scope, uint Flags);
