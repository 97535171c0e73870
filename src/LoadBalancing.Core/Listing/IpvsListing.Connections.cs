using System.Globalization;
using System.Text;
using LoadBalancing.Rules;

namespace LoadBalancing.Listing;

/// <summary>The connection listing, <c>ipvsadm -L -c</c> (ipvsadm.c <c>list_conn</c>, <c>print_conn</c>).</summary>
public static partial class IpvsListing
{
    /// <summary>Writes <c>IPVS connection entries</c>, the title and one row per entry, in the order given.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="connections">The entries (kernel hash order: ipvsadm does not sort them).</param>
    /// <param name="options"><see cref="ListOptions.Numeric"/>; <see cref="ListOptions.PersistentConnections"/> adds the engine columns.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    public static void WriteConnections(TextWriter writer, IEnumerable<ListedConnection> connections, ListOptions options, ServiceNameTable? names = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(connections);
        names ??= ServiceNameTable.Default;
        var numeric = (options & ListOptions.Numeric) != 0;
        var persistent = (options & ListOptions.PersistentConnections) != 0;
        var sb = new StringBuilder("IPVS connection entries\n");

        // printf("pro expire %-11s %-18s %-18s %s\n", ...), or with --persistent-conn
        // printf("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", ...).
        sb.Append("pro expire ").Append(Left("state", 11)).Append(' ').Append(Left("source", 18)).Append(' ').Append(Left("virtual", 18)).Append(' ');
        sb.Append(persistent ? Left("destination", 18) + " " + Left("pe name", 16) + " pe_data\n" : "destination\n");

        foreach (var c in connections)
        {
            // print_conn looks port names up only for TCP, UDP and SCTP; "IP" rows stay numeric.
            var protocol = c.Protocol ?? default;
            var byNumber = numeric || c.Protocol is null;
            var proto = c.Protocol switch
            {
                Model.ServiceProtocol.Tcp => "TCP",
                Model.ServiceProtocol.Udp => "UDP",
                Model.ServiceProtocol.Sctp => "SCTP",
                _ => "IP",
            };
            var expire = string.Create(CultureInfo.InvariantCulture, $"{c.ExpiresSeconds / 60:00}:{c.ExpiresSeconds % 60:00}");
            var cname = FormatEndpoint(c.ClientAddress, c.ClientPort, protocol, byNumber, names);
            var vname = FormatEndpoint(c.VirtualAddress, c.VirtualPort, protocol, byNumber, names);
            var dname = FormatEndpoint(c.DestinationAddress, c.DestinationPort, protocol, byNumber, names);
            sb.Append(Left(proto, 3)).Append(' ').Append(Left(expire, 6)).Append(' ').Append(Left(c.State, 11)).Append(' ')
                .Append(Left(cname, 18)).Append(' ').Append(Left(vname, 18)).Append(' ');

            // "%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n" when the entry has engine data: the destination is
            // padded to 16 here but 18 in the title, so the columns do not line up (as in ipvsadm).
            if (persistent && c.PersistenceEngine is not null)
            {
                sb.Append(Left(dname, 16)).Append(' ').Append(Left(c.PersistenceEngine, 18)).Append(' ').Append(c.PersistenceData);
            }
            else
            {
                sb.Append(dname);
            }

            sb.Append('\n');
        }

        writer.Write(sb.ToString());
    }
}
