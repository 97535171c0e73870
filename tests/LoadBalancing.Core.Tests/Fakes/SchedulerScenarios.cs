using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Fakes;

/// <summary>Service histories beyond <see cref="TestServices.Create(string, ValueTuple{string, int}[])"/>: scheduler switches, later additions, custom random sources.</summary>
internal static class SchedulerScenarios
{
    /// <summary>
    /// Servers added under rr, then the service edited to <paramref name="scheduler"/> (<c>-E -s</c>): the
    /// new scheduler's init_service sees the whole list at once.
    /// </summary>
    public static VirtualServiceState SwitchedTo(string scheduler, params (string Address, int Weight)[] servers)
    {
        var service = TestServices.Create(SchedulerNames.RoundRobin, servers);
        service.Apply(service.Config with { Scheduler = scheduler }, SchedulerRegistry.Default, new FakeTimeProvider());
        return service;
    }

    /// <summary>Adds one more server (<c>-a</c>) to an existing service.</summary>
    public static void Add(VirtualServiceState service, string address, int weight)
        => service.Apply(
            service.Config with { RealServers = service.Config.RealServers.Add(TestServices.Server(address, weight)) },
            SchedulerRegistry.Default,
            new FakeTimeProvider());

    /// <summary>Creates a service whose scheduler draws from <paramref name="random"/>.</summary>
    public static VirtualServiceState WithRandom(string scheduler, Random random, params (string Address, int Weight)[] servers)
    {
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, TestServices.Vip, 80),
            Scheduler = scheduler,
            RealServers = [.. servers.Select(s => TestServices.Server(s.Address, s.Weight))],
        };
        return VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, new FakeTimeProvider(), random);
    }

    /// <summary>Picks <paramref name="count"/> times, binding an active connection to each choice as a new TCP connection would.</summary>
    public static string[] PicksBindingActive(VirtualServiceState service, int count)
    {
        var request = TestServices.Request();
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            var dest = service.Schedule(in request);
            dest?.Bind(ConnectionCountKind.Active);
            result[i] = dest?.Address.ToString() ?? "-";
        }

        return result;
    }
}
