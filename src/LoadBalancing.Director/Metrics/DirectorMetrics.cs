using System.Diagnostics.Metrics;
using System.Globalization;
using LoadBalancing.Runtime;

namespace LoadBalancing.Director.Metrics;

/// <summary>
/// The forwarding instruments on the <c>LoadBalancing</c> meter, observed from the counters the forwarders keep
/// (the numbers of <c>lbadm -Ln --stats</c>): connections, packets and bytes per virtual service and per real
/// server, current connections and weights, and scheduler decisions. Tags: <c>lb.service</c> (<c>TCP 10.0.0.1:80</c>),
/// <c>lb.real_server</c> (<c>10.0.0.2:80</c>, <c>[2001:db8::2]:80</c>), <c>lb.direction</c> (<c>in</c>, <c>out</c>).
/// </summary>
/// <remarks>
/// Counters are cumulative since the service or server was added; <c>lbadm -Z</c> zeroes them, which a Prometheus
/// scrape sees as a counter reset. The <c>lb.health.*</c> instruments live in LoadBalancing.Health.
/// </remarks>
internal sealed class DirectorMetrics : IDisposable
{
    /// <summary>The meter's name, shared by every LoadBalancing instrument.</summary>
    public const string MeterName = "LoadBalancing";

    private readonly ServiceTable _table;
    private readonly SchedulerDecisions _decisions;
    private readonly Meter _meter;

    public DirectorMetrics(ServiceTable table, SchedulerDecisions decisions, IMeterFactory meterFactory)
    {
        _table = table;
        _decisions = decisions;
        _meter = meterFactory.Create(MeterName);

        _meter.CreateObservableCounter("lb.service.connections", () => Services(s => s.Connections), "{connection}", "Connections scheduled to the virtual service.");
        _meter.CreateObservableCounter("lb.service.packets", () => Services(s => s.InPackets, s => s.OutPackets), "{packet}", "Packets through the virtual service (in: from clients, out: to clients).");
        _meter.CreateObservableCounter("lb.service.bytes", () => Services(s => s.InBytes, s => s.OutBytes), "By", "Bytes through the virtual service (in: from clients, out: to clients).");
        _meter.CreateObservableCounter("lb.real_server.connections", () => Servers(s => s.Statistics.Connections), "{connection}", "Connections scheduled to the real server.");
        _meter.CreateObservableCounter("lb.real_server.packets", () => Servers(s => s.Statistics.InPackets, s => s.Statistics.OutPackets), "{packet}", "Packets to and from the real server's clients.");
        _meter.CreateObservableCounter("lb.real_server.bytes", () => Servers(s => s.Statistics.InBytes, s => s.Statistics.OutBytes), "By", "Bytes to and from the real server's clients.");
        _meter.CreateObservableUpDownCounter("lb.real_server.active_connections", () => Servers(s => s.ActiveConnections), "{connection}", "Active connections (ipvsadm ActiveConn).");
        _meter.CreateObservableUpDownCounter("lb.real_server.inactive_connections", () => Servers(s => s.InactiveConnections), "{connection}", "Inactive connections (ipvsadm InActConn).");
        _meter.CreateObservableGauge("lb.real_server.weight", () => Servers(s => s.Weight), "{weight}", "Effective weight (0: quiesced by an operator or health checks).");
        _meter.CreateObservableCounter("lb.scheduler.decisions", Decisions, "{decision}", "Scheduler decisions, tagged lb.result: scheduled (a real server was picked) or no_destination.");
    }

    public void Dispose() => _meter.Dispose();

    private static string Name(RealServerState server)
    {
        var address = server.Address.IsIPv6 ? $"[{server.Address}]" : server.Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{address}:{server.Port}");
    }

    private static KeyValuePair<string, object?> Service(VirtualServiceState service) => new("lb.service", service.Key.ToString());

    private List<Measurement<long>> Services(Func<TrafficStatistics, long> value)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var service in _table.Services)
        {
            measurements.Add(new Measurement<long>(value(service.Statistics), Service(service)));
        }

        return measurements;
    }

    private List<Measurement<long>> Services(Func<TrafficStatistics, long> inbound, Func<TrafficStatistics, long> outbound)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var service in _table.Services)
        {
            measurements.Add(new Measurement<long>(inbound(service.Statistics), Service(service), new("lb.direction", "in")));
            measurements.Add(new Measurement<long>(outbound(service.Statistics), Service(service), new("lb.direction", "out")));
        }

        return measurements;
    }

    private List<Measurement<long>> Servers(Func<RealServerState, long> value)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var service in _table.Services)
        {
            foreach (var server in service.Destinations)
            {
                measurements.Add(new Measurement<long>(value(server), Service(service), new("lb.real_server", Name(server))));
            }
        }

        return measurements;
    }

    private List<Measurement<long>> Servers(Func<RealServerState, long> inbound, Func<RealServerState, long> outbound)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var service in _table.Services)
        {
            foreach (var server in service.Destinations)
            {
                measurements.Add(new Measurement<long>(inbound(server), Service(service), new("lb.real_server", Name(server)), new("lb.direction", "in")));
                measurements.Add(new Measurement<long>(outbound(server), Service(service), new("lb.real_server", Name(server)), new("lb.direction", "out")));
            }
        }

        return measurements;
    }

    private List<Measurement<long>> Decisions()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var service in _table.Services)
        {
            if (_decisions.TryGet(service.Key, out var counts))
            {
                var scheduler = new KeyValuePair<string, object?>("lb.scheduler", service.Config.Scheduler);
                measurements.Add(new Measurement<long>(counts.Scheduled, Service(service), scheduler, new("lb.result", "scheduled")));
                measurements.Add(new Measurement<long>(counts.NoDestination, Service(service), scheduler, new("lb.result", "no_destination")));
            }
        }

        return measurements;
    }
}
