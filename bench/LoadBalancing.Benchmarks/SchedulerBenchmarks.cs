using BenchmarkDotNet.Attributes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Benchmarks;

/// <summary>
/// One pick per operation, followed by what a real director does next: the chosen server's connection count
/// goes up and another connection ends (Bind + Unbind), so schedulers with a load index pay for its updates.
/// </summary>
public class SchedulerBenchmarks
{
    private VirtualServiceState _service = null!;
    private SchedulingRequest[] _requests = null!;
    private int _next;

    public static IEnumerable<string> Schedulers => SchedulerRegistry.Default.Names.Order(StringComparer.Ordinal);

    [ParamsSource(nameof(Schedulers))]
    public string Scheduler { get; set; } = "";

    [Params(8, 1000, 10000)]
    public int Servers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _service = BenchmarkServices.Create(Scheduler, Servers, seed: 42);
        _requests = BenchmarkServices.Requests(4096, seed: 7);
    }

    [Benchmark]
    public RealServerState? PickAndUpdateLoad()
    {
        var request = _requests[_next++ & 4095];
        var dest = _service.Schedule(in request);
        if (dest is not null)
        {
            dest.Bind(ConnectionCountKind.Active);
            dest.Unbind(ConnectionCountKind.Active);
        }

        return dest;
    }
}
