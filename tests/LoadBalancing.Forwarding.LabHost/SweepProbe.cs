using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.LabHost;

/// <summary>
/// <c>lb-labhost sweep-probe FLOWS [SWEEPS]</c>: how long the fast path's sweep over its flows takes at a given size,
/// as one block (<c>Synchronize</c>) and in the forwarder's slices (<c>SynchronizeSlice</c>). It fills a tc fast
/// path's flow map (not attached anywhere: CAP_BPF is enough) with FLOWS established flows to one real server, as
/// user space offers them, and prints each sweep's milliseconds. A measurement for docs/benchmarks.md, not a test.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class SweepProbe
{
    public static int Run(string flowsText, string? sweepsText)
    {
        if (!int.TryParse(flowsText, CultureInfo.InvariantCulture, out var flows) || flows is < 1 or > 4_000_000
            || !int.TryParse(sweepsText ?? "5", CultureInfo.InvariantCulture, out var sweeps) || sweeps is < 1 or > 1000)
        {
            Console.Error.WriteLine("lb-labhost sweep-probe: expected FLOWS (1..4000000) and SWEEPS (1..1000)");
            return 2;
        }

        var vip = NetworkAddress.Parse("10.77.0.100");
        var server = NetworkAddress.Parse("10.77.0.21");
        var serverMac = MacAddress.Parse("02:77:00:00:00:15");
        var services = new ServiceTable(SchedulerRegistry.Default);
        services.Apply(new LoadBalancerConfig
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, vip, 80),
                    Scheduler = SchedulerNames.WeightedRoundRobin,
                    RealServers = [new RealServerConfig { Address = server, Port = 80, Weight = 1, Method = ForwardingMethod.Route }],
                },
            ],
        });
        var service = services.Services.Single();
        var destination = service.Destinations.Single();
        var connections = new ConnectionTable();
        using var neighbours = new NeighbourCache();
        neighbours.Set(server, serverMac);
        try
        {
            using var fastPath = XdpFastPath.Create(XdpMode.Tc, flows * 2, connections, neighbours, new DirectRoutingStatistics(), MacAddress.Parse("02:77:00:00:00:02"), drainRemoved: true);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < flows; i++)
            {
                // Clients 10.96.x.y, 32 768 ports each; the SYN makes the entry and user space offers its flow.
                var packet = new PacketInfo
                {
                    Protocol = ServiceProtocol.Tcp,
                    SourceAddress = NetworkAddress.FromIPv4((uint)(0x0A600000 + (i >> 15))),
                    SourcePort = (ushort)(1024 + (i & 0x7FFF)),
                    DestinationAddress = vip,
                    DestinationPort = 80,
                    TcpFlags = TcpFlags.Syn,
                    Length = 60,
                };
                var connection = connections.AddScheduled(in packet, service, destination);
                fastPath.OnForwarded(in packet, connection, serverMac);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flows {fastPath.CountKernelFlows()} (offered in {clock.ElapsedMilliseconds} ms)"));
            for (var s = 0; s < sweeps; s++)
            {
                clock.Restart();
                fastPath.Synchronize();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep at once: {clock.Elapsed.TotalMilliseconds:F1} ms"));
            }

            for (var s = 0; s < sweeps; s++)
            {
                var slices = new List<double>();
                bool ended;
                do
                {
                    clock.Restart();
                    ended = fastPath.SynchronizeSlice();
                    slices.Add(clock.Elapsed.TotalMilliseconds);
                }
                while (!ended && slices.Count < 1000);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sweep in {slices.Count} slices: longest {slices.Max():F1} ms, sum {slices.Sum():F1} ms ({string.Join(' ', slices.Select(ms => ms.ToString("F1", CultureInfo.InvariantCulture)))})"));
            }

            return 0;
        }
        catch (BpfException ex)
        {
            Console.Error.WriteLine($"lb-labhost sweep-probe: {ex.Message}");
            return 1;
        }
    }
}
