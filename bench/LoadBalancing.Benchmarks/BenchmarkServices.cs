using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Benchmarks;

/// <summary>Services with many real servers and a random, seeded load.</summary>
internal static class BenchmarkServices
{
    public static readonly NetworkAddress Vip = NetworkAddress.Parse("192.0.2.80");

    public static VirtualServiceState Create(string scheduler, int servers, int seed)
    {
        var random = new Random(seed);
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, Vip, 80),
            Scheduler = scheduler,
            RealServers =
            [
                .. Enumerable.Range(0, servers).Select(i => new RealServerConfig
                {
                    Address = NetworkAddress.FromIPv4(0x0A000000u + (uint)i + 1),
                    Port = 80,
                    Weight = random.Next(1, 101),
                }),
            ],
        };
        var service = VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, TimeProvider.System, new Random(seed));
        foreach (var dest in service.Destinations)
        {
            dest.SetCountersForTesting(active: random.Next(0, 200), inactive: random.Next(0, 2000));
        }

        return service;
    }

    public static SchedulingRequest[] Requests(int count, int seed)
    {
        var random = new Random(seed);
        return
        [
            .. Enumerable.Range(0, count).Select(_ => new SchedulingRequest(
                ServiceProtocol.Tcp,
                NetworkAddress.FromIPv4((uint)random.Next()),
                (ushort)random.Next(1024, 65536),
                Vip,
                80)),
        ];
    }
}
