using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Health.Tests;

/// <summary>
/// Flapping against a real TCP listener with the real checker, real TCP probe and a real service table: pool
/// membership changes only as fast as rise/fall allow.
/// </summary>
public sealed class FlapTests
{
    private const int Weight = 5;
    private static readonly TimeSpan Loop = TimeSpan.FromMilliseconds(40);

    [Fact]
    public async Task ListenerToggledAfterEveryProbe_PoolMembershipNeverChanges()
    {
        using var listener = new ToggledListener();
        var probe = new RecordingProbe(HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }), after: listener.Toggle);
        var (table, destination) = Table(listener.Port);
        var weights = FollowWeight(table, destination);
        var transitions = 0;
        await using var checker = new HealthChecker();
        checker.Changed += (_, c) => transitions += c.State != c.PreviousState ? 1 : 0;
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => probe, _ => Policy(rise: 2, fall: 2));
        adapter.Synchronize();
        checker.Start();
        await probe.WaitForAsync(60);
        await checker.DisposeAsync();

        var results = probe.Results;
        Assert.True(results.Zip(results.Skip(1)).All(p => p.First != p.Second), "the listener did not alternate: " + string.Concat(results.Select(r => r ? '+' : '-')));
        Assert.Equal(0, transitions);
        Assert.Equal([Weight], weights.Distinct());
    }

    [Fact]
    public async Task ListenerFlappingOnItsOwnClock_EveryTransitionNeedsRiseOrFallResultsInARow()
    {
        const int rise = 3, fall = 2;
        using var listener = new ToggledListener();
        var probe = new RecordingProbe(HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }));
        var (table, destination) = Table(listener.Port);
        var weights = FollowWeight(table, destination);
        var transitions = new List<(int Check, HealthState State)>();
        await using var checker = new HealthChecker();
        checker.Changed += (_, c) =>
        {
            if (c.State != c.PreviousState)
            {
                transitions.Add((probe.Count, c.State));
            }
        };
        using var adapter = new ServiceTableHealthAdapter(table, checker, _ => probe, _ => Policy(rise, fall));
        adapter.Synchronize();
        checker.Start();

        // Up and down for 1–6 delay loops at a time, not in step with the probes.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var random = new Random(4);
        var flapper = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && probe.Count < 150)
            {
                await Task.Delay(Loop * (1 + random.Next(6)) + TimeSpan.FromMilliseconds(random.Next(20)), TestContext.Current.CancellationToken);
                listener.Toggle();
            }
        }, TestContext.Current.CancellationToken);
        await probe.WaitForAsync(150);
        await stop.CancelAsync();
        await flapper;
        await checker.DisposeAsync();

        var results = probe.Results;
        var trace = string.Concat(results.Select(r => r ? '+' : '-'));
        Assert.True(transitions.Count >= 2, $"no flap reached rise/fall: {trace}");
        foreach (var (check, state) in transitions)
        {
            var run = state == HealthState.Up ? rise : fall;
            var last = results.Skip(check - run).Take(run).ToArray();
            Assert.True(last.Length == run && last.All(r => r == (state == HealthState.Up)), $"{state} at check {check} without {run} results in a row: {trace}");
        }

        // Between two transitions at least min(rise, fall) checks; the pool followed the checker exactly.
        Assert.All(transitions.Zip(transitions.Skip(1)), p => Assert.True(p.Second.Check - p.First.Check >= Math.Min(rise, fall)));
        Assert.True(transitions.Count <= results.Count / Math.Min(rise, fall));
        Assert.Equal(transitions.Count, weights.Zip(weights.Skip(1)).Count(p => p.First != p.Second));
        Assert.All(transitions.Zip(transitions.Skip(1)), p => Assert.NotEqual(p.First.State, p.Second.State));
    }

    private static HealthCheckPolicy Policy(int rise, int fall) => new() { DelayLoop = Loop, Rise = rise, Fall = fall, Jitter = 0, ConnectTimeout = TimeSpan.FromSeconds(2) };

    private static (ServiceTable Table, RealServerState Destination) Table(int port)
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("192.168.1.254"), 80),
                    Scheduler = "wrr",
                    RealServers = [new RealServerConfig { Address = NetworkAddress.Parse("127.0.0.1"), Port = (ushort)port, Weight = Weight }],
                },
            ],
        });
        return (table, table.Services[0].Destinations[0]);
    }

    /// <summary>The destination's weight after every table change (the pool as the schedulers see it).</summary>
    private static List<int> FollowWeight(ServiceTable table, RealServerState destination)
    {
        var weights = new List<int> { destination.Weight };
        table.Changed += (_, _) =>
        {
            lock (weights)
            {
                if (weights[^1] != destination.Weight)
                {
                    weights.Add(destination.Weight);
                }
            }
        };
        return weights;
    }

    /// <summary>Runs the real probe, records each result in order, then runs an optional action (one check at a time per target).</summary>
    private sealed class RecordingProbe(IHealthProbe inner, Action? after = null) : IHealthProbe
    {
        private readonly List<bool> _results = [];

        public string Name => inner.Name;

        public int Count
        {
            get
            {
                lock (_results)
                {
                    return _results.Count;
                }
            }
        }

        public List<bool> Results
        {
            get
            {
                lock (_results)
                {
                    return [.. _results];
                }
            }
        }

        public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
        {
            var result = await inner.ProbeAsync(target, cancellationToken);
            lock (_results)
            {
                _results.Add(result.IsUp);
            }

            after?.Invoke();
            return result;
        }

        public async Task WaitForAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (Count < count)
            {
                await Task.Delay(10, timeout.Token);
            }
        }
    }
}
