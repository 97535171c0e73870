using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Fakes;

/// <summary>Builds services and destinations for scheduler tests the way ipvsadm commands would.</summary>
internal static class TestServices
{
    public static readonly NetworkAddress Vip = NetworkAddress.Parse("192.168.1.254");

    /// <summary>A TCP service on <see cref="Vip"/>:80 with servers added in the order given (<c>-a</c> lines).</summary>
    public static VirtualServiceState Create(string scheduler, params (string Address, int Weight)[] servers)
        => Create(scheduler, SchedulerFlags.None, servers);

    public static VirtualServiceState Create(string scheduler, SchedulerFlags flags, params (string Address, int Weight)[] servers)
    {
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, Vip, 80),
            Scheduler = scheduler,
            SchedulerFlags = flags,
            RealServers = [.. servers.Select(s => Server(s.Address, s.Weight))],
        };
        return VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, new FakeTimeProvider(), new Random(1));
    }

    public static RealServerConfig Server(string address, int weight, ushort port = 80)
    {
        var parsed = address.Contains(':') && !address.StartsWith('[')
            ? NetworkAddress.Parse(address)
            : NetworkAddress.Parse(address.Trim('[', ']'));
        return new RealServerConfig { Address = parsed, Port = port, Weight = weight };
    }

    public static SchedulingRequest Request(string client = "203.0.113.1", ushort clientPort = 40000)
        => new(ServiceProtocol.Tcp, NetworkAddress.Parse(client), clientPort, Vip, 80);

    /// <summary>Picks <paramref name="count"/> times and returns the chosen addresses ("-" for none).</summary>
    public static string[] Picks(VirtualServiceState service, int count)
    {
        var request = Request();
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = service.Schedule(in request)?.Address.ToString() ?? "-";
        }

        return result;
    }

    public static RealServerState Dest(VirtualServiceState service, string address)
        => service.Destinations.Single(d => d.Address == NetworkAddress.Parse(address));

    public static ImmutableArray<string> Order(VirtualServiceState service)
        => [.. service.Destinations.Select(d => d.Address.ToString())];
}
