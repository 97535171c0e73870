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
    private RealServerState[] _destinations = null!;

    [Params(8, 1000, 10000)]
    public int Servers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // rr keeps no load index, so Bind/Unbind cost the same as in the indexed case minus the index update.
        _service = BenchmarkServices.Create(SchedulerNames.RoundRobin, Servers, seed: 42);
        _destinations = [.. _service.Destinations];
    }

    [Benchmark(Baseline = true)]
    public RealServerState? WlcLinearScan()
    {
        var dest = ScanWlc(_destinations);
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

    private static RealServerState? ScanWlc(RealServerState[] list)
    {
        RealServerState? least = null;
        long loh = 0;
        var i = 0;
        for (; i < list.Length; i++)
        {
            var d = list[i];
            if (!d.IsOverloaded && d.Weight > 0)
            {
                least = d;
                loh = d.Overhead;
                break;
            }
        }

        if (least is null)
        {
            return null;
        }

        for (i++; i < list.Length; i++)
        {
            var d = list[i];
            if (d.IsOverloaded)
            {
                continue;
            }

            var doh = d.Overhead;
            if (loh * d.Weight > doh * least.Weight)
            {
                least = d;
                loh = doh;
            }
        }

        return least;
    }

    private static RealServerState? ScanLc(RealServerState[] list)
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
