using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <summary>
/// One row of the connection listing (<c>ipvsadm -Lc</c>, <c>/proc/net/ip_vs_conn</c>): plain data, formatting is
/// left to the caller.
/// </summary>
/// <param name="Protocol">The protocol as ipvsadm prints it: <c>TCP</c>, <c>UDP</c>, <c>SCTP</c>, or <c>IP</c> for firewall-mark templates.</param>
/// <param name="Expires">The time left on the entry's timer (never negative).</param>
/// <param name="State">
/// The state name as the kernel prints it: <c>SYN_RECV</c>, <c>ESTABLISHED</c>, <c>UDP</c>, <c>C-ECHOED</c> …;
/// templates show <c>NONE</c> or <c>ASSURED</c>.
/// </param>
/// <param name="SourceAddress">The client address (masked by <c>-M</c> for templates).</param>
/// <param name="SourcePort">The client port (0 for templates).</param>
/// <param name="VirtualAddress">The virtual address; for firewall-mark templates the mark as an address (<c>0.0.0.1</c> for mark 1).</param>
/// <param name="VirtualPort">The virtual port (0 for FTP, port-0 and firewall-mark templates; 65535 for an invalidated template).</param>
/// <param name="DestinationAddress">The real server address.</param>
/// <param name="DestinationPort">The real server port.</param>
/// <param name="IsTemplate">Whether the row is a persistence template.</param>
public readonly record struct ConnectionEntry(
    string Protocol,
    TimeSpan Expires,
    string State,
    NetworkAddress SourceAddress,
    ushort SourcePort,
    NetworkAddress VirtualAddress,
    ushort VirtualPort,
    NetworkAddress DestinationAddress,
    ushort DestinationPort,
    bool IsTemplate);
