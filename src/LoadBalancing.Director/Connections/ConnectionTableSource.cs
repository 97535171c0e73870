using LoadBalancing.Connections;
using LoadBalancing.Model;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Connections;

/// <summary>
/// The connection table registered in DI (the proxy forwarder's, shared with the DR forwarder when both run) as a
/// source for <c>lbadm -L -c</c> and the connection watch. Resolved when listed: empty when no forwarder registered one.
/// </summary>
internal sealed class ConnectionTableSource(IServiceProvider services) : IConnectionSource
{
    public IEnumerable<ConnectionInfo> GetConnections()
    {
        if (services.GetService<ConnectionTable>() is not { } table)
        {
            yield break;
        }

        foreach (var entry in table.GetEntries())
        {
            // Firewall-mark templates ("IP") have no protocol the listing can carry.
            ServiceProtocol? protocol = entry.Protocol switch
            {
                "TCP" => ServiceProtocol.Tcp,
                "UDP" => ServiceProtocol.Udp,
                "SCTP" => ServiceProtocol.Sctp,
                _ => null,
            };
            if (protocol is not { } p)
            {
                continue;
            }

            yield return new ConnectionInfo
            {
                Protocol = p,
                Expires = entry.Expires,
                State = entry.State,
                ClientAddress = entry.SourceAddress,
                ClientPort = entry.SourcePort,
                VirtualAddress = entry.VirtualAddress,
                VirtualPort = entry.VirtualPort,
                DestinationAddress = entry.DestinationAddress,
                DestinationPort = entry.DestinationPort,
            };
        }
    }
}
