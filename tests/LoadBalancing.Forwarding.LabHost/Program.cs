using System.Globalization;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.LabHost;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Health;
using LoadBalancing.Health.Probes;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

// lb-labhost --mode dr|proxy --vip ADDR --service tcp:80 [--service udp:5001] --server ADDR:WEIGHT ...
//            [--scheduler wrr] [--interface eth0] [--workers N (DR workers, or proxy event loops)] [--engine auto|sockets|eventloop]
//            [--recv] [--xdp off|generic|native|tc] [--health tcp] [--health-interval-ms 200]
// Prints "ready" once forwarding, "health ADDR up|down weight=W" on every health change, and answers the stdin
// commands "weight ADDR W", "remove ADDR", "stats" (one "server ..." line per real server, a "forwarder ..." line for
// DR) and "quit" with "ok" (or "error: ...").
if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("lb-labhost runs on Linux only");
    return 2;
}

if (args is ["xdp-pass", var peer])
{
    // lb-labhost xdp-pass IFNAME: attach an XDP_PASS program in native mode to IFNAME (a veth peer, e.g. the
    // switch side of the director's veth) until stdin closes. Native XDP_TX on a veth hands frames to the peer's
    // NAPI, which exists only while the peer has an XDP program (or GRO) - without it the frames are dropped.
    return PassProgram.Run(peer);
}

if (args is ["sweep-probe", var flows, .. var rest] && rest.Length <= 1)
{
    // lb-labhost sweep-probe FLOWS [SWEEPS]: the fast path's sweep at FLOWS flows, at once and in slices (ms).
    return SweepProbe.Run(flows, rest.Length == 1 ? rest[0] : null);
}

LabHostOptions options;
try
{
    options = LabHostOptions.Parse(args);
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"lb-labhost: {ex.Message}");
    return 2;
}

return await LabHost.RunAsync(options);

namespace LoadBalancing.Forwarding.LabHost
{
    [SupportedOSPlatform("linux")]
    internal static class PassProgram
    {
        public static int Run(string interfaceName)
        {
            try
            {
                var index = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(i => i.Name == interfaceName)?.GetIPProperties().GetIPv4Properties().Index
                    ?? throw new BpfException($"interface '{interfaceName}' not found");
                var code = new Linux.Bpf.EbpfAssembler().Move(0, 2).Exit().Build(); // return XDP_PASS
                using var program = Linux.Bpf.BpfSystemCall.LoadProgram(Linux.Bpf.BpfSystemCall.ProgramTypeXdp, code, Linux.Bpf.BpfSystemCall.AttachTypeXdp, "lb_pass");
                using var link = Linux.Bpf.BpfSystemCall.CreateXdpLink(program, index, Linux.Bpf.BpfSystemCall.XdpFlagsDriverMode);
                Console.WriteLine("ready");
                while (Console.ReadLine() is { } line && line != "quit")
                {
                }

                return 0;
            }
            catch (BpfException ex)
            {
                Console.Error.WriteLine($"lb-labhost xdp-pass: {ex.Message}");
                return 1;
            }
        }
    }

    [SupportedOSPlatform("linux")]
    internal static class LabHost
    {
        public static async Task<int> RunAsync(LabHostOptions options)
        {
            var services = new ServiceTable(SchedulerRegistry.Default);
            var config = options.BuildConfig();
            services.Apply(config);

            DirectRoutingForwarder? dr = null;
            ProxyForwarder? proxy = null;
            if (options.Mode == "dr")
            {
                dr = new DirectRoutingForwarder(services, new DirectRoutingOptions
                {
                    InterfaceName = options.Interface,
                    Workers = options.Workers,
                    UseReceiveRing = options.UseRing,
                    BatchDelay = options.BatchDelayMicroseconds is { } us ? TimeSpan.FromMicroseconds(us) : new DirectRoutingOptions().BatchDelay,
                    StartupResolutionTimeout = TimeSpan.FromSeconds(3),
                    Xdp = options.Xdp,
                    KernelScheduling = options.KernelScheduling,
                });
                try
                {
                    await dr.StartAsync();
                }
                catch (BpfException ex)
                {
                    Console.Error.WriteLine($"lb-labhost: {ex.Message}");
                    return 1;
                }
            }
            else
            {
                proxy = new ProxyForwarder(services, new ConnectionTable(), new ProxyForwarderOptions { ListenBacklog = 4096, Engine = options.Engine, EventLoopThreads = options.Workers, ListenSocketPerLoop = Environment.GetEnvironmentVariable("LB_PROXY_REUSEPORT") == "1" });
                proxy.Start();
                if (proxy.ListeningServices.Length != config.Services.Length)
                {
                    Console.Error.WriteLine($"lb-labhost: proxy listens on {proxy.ListeningServices.Length} of {config.Services.Length} services");
                    return 1;
                }
            }

            await using var checker = new HealthChecker();
            using var adapter = options.Health == "tcp" ? StartHealth(services, checker, options) : null;

            Console.WriteLine("ready");
            try
            {
                while (Console.ReadLine() is { } line)
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length == 0)
                    {
                        continue;
                    }

                    if (parts[0] == "quit")
                    {
                        Console.WriteLine("ok");
                        break;
                    }

                    Console.WriteLine(Execute(parts, services, ref config, dr));
                }
            }
            finally
            {
                if (dr is not null)
                {
                    await dr.DisposeAsync();
                }

                if (proxy is not null)
                {
                    await proxy.DisposeAsync();
                }
            }

            return 0;
        }

        private static ServiceTableHealthAdapter StartHealth(ServiceTable services, HealthChecker checker, LabHostOptions options)
        {
            var policy = new HealthCheckPolicy
            {
                DelayLoop = TimeSpan.FromMilliseconds(options.HealthIntervalMs),
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                Fall = 2,
                Rise = 2,
                Jitter = 0,
            };
            checker.Changed += (_, change) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"health {change.Target.Endpoint.Address} {(change.State == HealthState.Down ? "down" : "up")} weight={change.Weight}"));
            var probe = HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromMilliseconds(500) });
            var adapter = new ServiceTableHealthAdapter(services, checker, _ => probe, _ => policy);
            adapter.Synchronize();
            checker.Start();
            return adapter;
        }

        private static string Execute(string[] parts, ServiceTable services, ref LoadBalancerConfig config, DirectRoutingForwarder? dr)
        {
            switch (parts[0])
            {
                case "weight" when parts.Length == 3 && NetworkAddress.TryParse(parts[1], out var address)
                    && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var weight) && weight is >= 0 and <= RealServerConfig.MaxWeight:
                    var found = services.Services.SelectMany(s => s.Destinations).Where(d => d.Address == address).ToList();
                    found.ForEach(d => services.SetWeight(d, weight));
                    return found.Count > 0 ? "ok" : $"error: no real server {address}";
                case "remove" when parts.Length == 2 && NetworkAddress.TryParse(parts[1], out var removed):
                    var without = config with
                    {
                        Services = [.. config.Services.Select(s => s with { RealServers = [.. s.RealServers.Where(r => r.Address != removed)] })],
                    };
                    services.Apply(without);
                    config = without;
                    return "ok";
                case "stats" when parts.Length == 1:
                    // The fast path's map first: counting it waits for a synchronization under way, so every counter
                    // read after it includes what that round folded in (an empty map with unfolded counters is torn).
                    var map = dr?.CountFastPathFlows() ?? 0;
                    var lines = services.Services.SelectMany(s => s.Destinations).GroupBy(d => d.Address).Select(g => string.Create(CultureInfo.InvariantCulture,
                        $"server {g.Key} conns={g.Sum(d => d.Statistics.Connections)} active={g.Sum(d => d.ActiveConnections)} inactive={g.Sum(d => d.InactiveConnections)} weight={g.Min(d => d.Weight)} inpkts={g.Sum(d => d.Statistics.InPackets)} inbytes={g.Sum(d => d.Statistics.InBytes)}")).ToList();
                    if (dr is not null)
                    {
                        var s = dr.Statistics;
                        lines.Add(string.Create(CultureInfo.InvariantCulture,
                            $"forwarder received={s.Received} forwarded={s.Forwarded} malformed={s.Malformed} fragments={s.Fragments} senderrors={s.SendErrors} kerneldrops={s.KernelDrops} notfordirector={s[DirectRoutingVerdict.NotForDirector]} notscheduled={s[DirectRoutingVerdict.NotScheduled]} xdppackets={s.FastPathPackets} xdpbytes={s.FastPathBytes} xdpflows={s.FastPathFlows} xdperrors={s.FastPathErrors} xdpactive={s.FastPathActiveFlows} xdpmap={map} kernelscheduled={s.KernelScheduled} kernelreused={s.KernelReused}"));
                    }

                    lines.Add("ok");
                    return string.Join('\n', lines);
                default:
                    return $"error: unknown command '{string.Join(' ', parts)}' (expected weight ADDR W, remove ADDR, stats, quit)";
            }
        }
    }
}
