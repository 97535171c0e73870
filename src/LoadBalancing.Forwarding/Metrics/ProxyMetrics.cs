using System.Diagnostics.Metrics;
using LoadBalancing.Forwarding.Proxy;

namespace LoadBalancing.Forwarding.Metrics;

/// <summary>
/// The userspace proxy's <c>lb.proxy.*</c> instruments on the <c>LoadBalancing</c> meter, observed from its
/// <see cref="ProxyStatistics"/> and open flows when a listener collects. Tag: <c>lb.protocol</c> (<c>tcp</c>, <c>udp</c>).
/// </summary>
/// <remarks>The meter belongs to the <see cref="IMeterFactory"/>, which disposes it.</remarks>
internal sealed class ProxyMetrics
{
    private static readonly KeyValuePair<string, object?> Tcp = new("lb.protocol", "tcp");
    private static readonly KeyValuePair<string, object?> Udp = new("lb.protocol", "udp");

    public ProxyMetrics(ProxyForwarder forwarder, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(ForwardingMeter.Name);
        var s = forwarder.Statistics;
        meter.CreateObservableCounter("lb.proxy.connections", () => ByProtocol(s.TcpConnections, s.UdpSessions), "{connection}", "TCP connections the proxy accepted and UDP sessions it opened (lb.protocol).");
        meter.CreateObservableUpDownCounter("lb.proxy.open_flows", () => (long)forwarder.OpenFlows, "{flow}", "TCP connections and UDP sessions the proxy relays now.");
        meter.CreateObservableCounter("lb.proxy.connect_failures", () => ByProtocol(s.TcpConnectFailures, s.UdpConnectFailures), "{failure}", "Connects to real servers that failed: TCP refused, timed out or unreachable (each attempt); UDP ICMP port unreachable.");
        meter.CreateObservableCounter("lb.proxy.no_destination", () => ByProtocol(s.TcpNoDestination, s.UdpNoDestination), "{drop}", "TCP clients closed and UDP datagrams dropped because the connection table gave no real server.");
        meter.CreateObservableCounter("lb.proxy.connect_attempts_exhausted", () => s.ConnectAttemptsExhausted, "{connection}", "TCP clients reset after every connect attempt failed.");
        meter.CreateObservableCounter("lb.proxy.proxy_header_errors", () => s.ProxyHeaderErrors, "{connection}", "Connections reset because the PROXY protocol header could not be sent to the real server.");
        meter.CreateObservableCounter("lb.proxy.idle_timeouts", () => s.IdleTimeouts, "{connection}", "TCP connections reset after the idle timeout.");
        meter.CreateObservableCounter("lb.proxy.accept_errors", () => s.AcceptErrors, "{error}", "Accepts that failed (e.g. out of file descriptors).");
        meter.CreateObservableCounter("lb.proxy.limit_waits", () => s.LimitWaits, "{wait}", "Times a TCP listener stopped accepting because its service reached MaxConnectionsPerService (clients wait in the backlog).");
        meter.CreateObservableCounter("lb.proxy.udp.send_errors", () => s.UdpSendErrors, "{datagram}", "Client datagrams that could not be sent on to the real server.");
    }

    private static Measurement<long>[] ByProtocol(long tcp, long udp) => [new(tcp, Tcp), new(udp, Udp)];
}
