using BenchmarkDotNet.Attributes;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Benchmarks;

/// <summary>
/// The kernel's O(n) scans for lc and wlc (ip_vs_lc.c, ip_vs_wlc.c), written as the kernel writes them, as
/// the baseline the indexed schedulers are compared with. Same workload as <see cref="SchedulerBenchmarks"/>.
/// </summary>
public class LinearScanBenchmarks
{
    private VirtualServiceState _service = null!;
    private System.Collections.Immutable.ImmutableArray<RealServerState> _destinations;

    [Params(8, 1000, 10000)]
    public int Servers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // rr keeps no load index, so Bind/Unbind cost the same as in the indexed case minus the index update.
        _service = BenchmarkServices.Create(SchedulerNames.RoundRobin, Servers, seed: 42);
        _destinations = _service.Destinations;
    }

    [Benchmark(Baseline = true)]
    public RealServerState? WlcLinearScan()
    {
        // lblc/lblcr keep the kernel's literal wlc scan; it is the baseline here.
        var dest = LocalityRules.WeightedLeastConnection(_destinations);
        if (dest is not null)
        {
            dest.Bind(ConnectionCountKind.Active);
            dest.Unbind(ConnectionCountKind.Active);
        }

        return dest;
    }

    [Benchmark]
    public RealServerState? LcLinearScan()
    {
        var dest = ScanLc(_destinations);
        if (dest is not null)
        {
            dest.Bind(ConnectionCountKind.Active);
            dest.Unbind(ConnectionCountKind.Active);
        }

        return dest;
    }

    private static RealServerState? ScanLc(System.Collections.Immutable.ImmutableArray<RealServerState> list)
    {
        RealServerState? least = null;
        long loh = 0;
        foreach (var d in list)
        {
            if (d.IsOverloaded || d.Weight == 0)
            {
                continue;
            }

            var doh = d.Overhead;
            if (least is null || doh < loh)
            {
                least = d;
                loh = doh;
            }
        }

        return least;
    }
}
