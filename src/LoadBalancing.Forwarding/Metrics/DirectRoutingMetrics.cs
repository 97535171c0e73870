using System.Diagnostics.Metrics;
using LoadBalancing.Forwarding.DirectRouting;

namespace LoadBalancing.Forwarding.Metrics;

/// <summary>
/// The Direct-Routing forwarder's <c>lb.dr.*</c> instruments on the <c>LoadBalancing</c> meter, observed from its
/// <see cref="DirectRoutingStatistics"/> when a listener collects (nothing is added to the per-frame path). Tags:
/// <c>lb.verdict</c> (a <see cref="DirectRoutingVerdict"/> in snake_case: <c>forward</c>, <c>malformed</c>,
/// <c>fragment</c>, <c>not_for_director</c>, <c>no_neighbour</c>…), <c>lb.reuse</c> (<c>new</c>, <c>reused</c>).
/// </summary>
/// <remarks>
/// The meter comes from the <see cref="IMeterFactory"/>, which owns and disposes it (the factory hands every
/// <c>LoadBalancing</c> user the same meter), so this type does not dispose it.
/// </remarks>
internal sealed class DirectRoutingMetrics
{
    private static readonly DirectRoutingVerdict[] Verdicts = Enum.GetValues<DirectRoutingVerdict>();
    private static readonly KeyValuePair<string, object?>[] VerdictTags =
        [.. Verdicts.Select(v => new KeyValuePair<string, object?>("lb.verdict", ForwardingMeter.SnakeCase(v.ToString())))];

    private static readonly KeyValuePair<string, object?> New = new("lb.reuse", "new");
    private static readonly KeyValuePair<string, object?> Reused = new("lb.reuse", "reused");

    private readonly DirectRoutingStatistics _statistics;

    public DirectRoutingMetrics(DirectRoutingStatistics statistics, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _statistics = statistics;
        var meter = meterFactory.Create(ForwardingMeter.Name);
        var s = statistics;
        meter.CreateObservableCounter("lb.dr.frames", Frames, "{frame}", "Frames the DR forwarder received in user space, by verdict (lb.verdict): forward, relay_icmp, malformed, fragment, not_for_director, no_neighbour, ...; every verdict but forward and relay_icmp is a drop.");
        meter.CreateObservableCounter("lb.dr.send_errors", () => s.SendErrors, "{frame}", "Frames whose transmission to a real server failed.");
        meter.CreateObservableCounter("lb.dr.kernel_drops", () => s.KernelDrops, "{frame}", "Frames the kernel dropped because a receive ring was full (PACKET_STATISTICS): the forwarder is overloaded.");
        meter.CreateObservableCounter("lb.dr.fast_path.packets", () => s.FastPathPackets, "{packet}", "Packets the XDP fast path forwarded in the kernel (not in lb.dr.frames).");
        meter.CreateObservableCounter("lb.dr.fast_path.bytes", () => s.FastPathBytes, "By", "IP bytes of the packets the XDP fast path forwarded in the kernel.");
        meter.CreateObservableUpDownCounter("lb.dr.fast_path.flows", () => s.FastPathActiveFlows, "{flow}", "Flows in the XDP fast path now (handed over and not yet withdrawn on FIN, RST, expiry or a server change).");
        meter.CreateObservableCounter("lb.dr.fast_path.handovers", () => s.FastPathFlows, "{flow}", "Flows handed to the XDP fast path (including the connections the kernel scheduled).");
        meter.CreateObservableCounter("lb.dr.fast_path.errors", () => s.FastPathErrors, "{flow}", "Flows the XDP fast path could not take (map update failed); they stay in user space.");
        meter.CreateObservableCounter("lb.dr.kernel_scheduled", KernelScheduled, "{connection}", "Connections the kernel fast path scheduled itself (lb.reuse: new, or reused for a SYN that reused a closed connection's tuple and stayed on its server).");
    }

    private Measurement<long>[] Frames()
    {
        var measurements = new Measurement<long>[Verdicts.Length];
        for (var i = 0; i < Verdicts.Length; i++)
        {
            measurements[i] = new Measurement<long>(_statistics[Verdicts[i]], VerdictTags[i]);
        }

        return measurements;
    }

    private Measurement<long>[] KernelScheduled()
        => [new(_statistics.KernelScheduled, New), new(_statistics.KernelReused, Reused)];
}
