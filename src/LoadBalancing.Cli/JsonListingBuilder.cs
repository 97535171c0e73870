using LoadBalancing.Listing;
using LoadBalancing.Model;

namespace LoadBalancing.Cli;

/// <summary>Maps a listing to the <c>--json</c> document (same order and values as the text listing).</summary>
internal static class JsonListingBuilder
{
    public static JsonListing Build(ListingSnapshot snapshot, IReadOnlyList<ListedService> services)
        => new("1.2.1", snapshot.ConnectionTableSize, [.. services.Select(Service)]);

    private static JsonService Service(ListedService s)
    {
        var c = s.Config;
        var key = c.Key;
        var flags = new List<string>();
        var hashed = c.Scheduler is "sh" or "mh";
        if ((c.SchedulerFlags & SchedulerFlags.Flag1) != 0)
        {
            flags.Add(hashed ? c.Scheduler + "-fallback" : "flag-1");
        }

        if ((c.SchedulerFlags & SchedulerFlags.Flag2) != 0)
        {
            flags.Add(hashed ? c.Scheduler + "-port" : "flag-2");
        }

        if ((c.SchedulerFlags & SchedulerFlags.Flag3) != 0)
        {
            flags.Add("flag-3");
        }

        return new JsonService(
            key.IsFirewallMark ? "FWM" : key.Protocol.ToString().ToUpperInvariant(),
            key.IsFirewallMark ? null : key.Address.ToString(),
            key.IsFirewallMark ? null : key.Port,
            key.IsFirewallMark ? key.FirewallMark : null,
            key.Address.IsIPv6 ? "ipv6" : "ipv4",
            c.Scheduler,
            flags,
            c.PersistenceTimeout is { } t ? (int)t.TotalSeconds : null,
            c.IsPersistent ? c.EffectivePersistencePrefixLength : null,
            c.PersistenceEngine,
            c.OnePacket,
            Counters(s.Stats),
            Counters(s.Rates),
            [.. s.RealServers.Select(Server)]);
    }

    private static JsonServer Server(ListedRealServer d)
    {
        var c = d.Config;
        var tunnel = c.Method != ForwardingMethod.Tunnel
            ? null
            : c.TunnelType switch
            {
                TunnelType.Gue => $"gue:{c.TunnelPort}:{Checksum(c.TunnelChecksum)}",
                TunnelType.Gre => $"gre:{Checksum(c.TunnelChecksum)}",
                _ => "ipip",
            };
        var forward = c.Method switch
        {
            ForwardingMethod.Masquerade => "Masq",
            ForwardingMethod.Local => "Local",
            ForwardingMethod.Tunnel => "Tunnel",
            _ => "Route",
        };
        return new JsonServer(
            c.Address.ToString(), c.Port, forward, d.Weight, d.ActiveConnections, d.InactiveConnections,
            d.PersistentConnections, c.UpperThreshold, c.LowerThreshold, tunnel, Counters(d.Stats), Counters(d.Rates));
    }

    private static string Checksum(TunnelChecksum checksum) => checksum switch
    {
        TunnelChecksum.Checksum => "+c",
        TunnelChecksum.Remote => "r+c",
        _ => "-c",
    };

    private static JsonCounters Counters(ListingCounters c) => new(c.Connections, c.InPackets, c.OutPackets, c.InBytes, c.OutBytes);
}
