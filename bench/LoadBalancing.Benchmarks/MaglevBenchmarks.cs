using BenchmarkDotNet.Attributes;
using LoadBalancing.Hashing;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Benchmarks;

/// <summary>Maglev table builds: the standalone table (M = 65 537) and the mh scheduler's kernel table (M = 4093).</summary>
public class MaglevBenchmarks
{
    private MaglevEndpoint[] _endpoints = null!;
    private MaglevTable _table = null!;

    [Params(1000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _endpoints = [.. Enumerable.Range(0, Endpoints).Select(i => new MaglevEndpoint((ulong)i + 1, random.Next(1, 101)))];
        _table = new MaglevTable(_endpoints);
    }

    [Benchmark]
    public MaglevTable BuildTable65537() => new(_endpoints);

    [Benchmark]
    public int RemoveAndReAddEndpoint()
    {
        var removed = _table.RemoveEndpoint(_endpoints[17].Id);
        var added = _table.AddEndpoint(_endpoints[17]);
        return removed.Length + added.Length;
    }

    [Benchmark]
    public ulong Lookup()
    {
        ulong sum = 0;
        for (ulong h = 0; h < 1024; h++)
        {
            _table.TryLookup(h * 0x9E3779B97F4A7C15UL, out var id);
            sum += id;
        }

        return sum;
    }

    [Benchmark]
    public VirtualServiceState BuildMhSchedulerTable() => BenchmarkServices.Create("mh", Endpoints, seed: 42);
}
