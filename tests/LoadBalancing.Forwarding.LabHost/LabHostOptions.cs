using System.Globalization;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.LabHost;

/// <summary>The command line of lb-labhost; <see cref="Parse"/> throws <see cref="FormatException"/> naming the bad argument.</summary>
internal sealed class LabHostOptions
{
    public string Mode { get; private set; } = "";

    public string Interface { get; private set; } = "eth0";

    public NetworkAddress Vip { get; private set; }

    public List<(ServiceProtocol Protocol, ushort Port)> Services { get; } = [];

    public List<(NetworkAddress Address, int Weight)> Servers { get; } = [];

    public string Scheduler { get; private set; } = "wrr";

    public int Workers { get; private set; }

    /// <summary>Gets the proxy's TCP engine: --engine, else the LB_PROXY_ENGINE environment variable (so LB_LABHOST_ENV can pick it), else Auto.</summary>
    public LoadBalancing.Forwarding.Proxy.ProxyEngine Engine { get; private set; } = ParseEngine(Environment.GetEnvironmentVariable("LB_PROXY_ENGINE") ?? "auto");

    public int? BatchDelayMicroseconds { get; private set; }

    public bool UseRing { get; private set; } = true;

    public XdpMode Xdp { get; private set; }

    public string Health { get; private set; } = "none";

    /// <summary>Gets a value indicating whether the XDP/tc fast path schedules rr/wrr SYNs itself (--kernel-scheduling on|off, default on).</summary>
    public bool KernelScheduling { get; private set; } = true;

    public int HealthIntervalMs { get; private set; } = 200;

    public static LabHostOptions Parse(string[] args)
    {
        var o = new LabHostOptions();
        var vipSet = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--recv")
            {
                o.UseRing = false;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new FormatException($"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--mode" when value is "dr" or "proxy":
                    o.Mode = value;
                    break;
                case "--interface":
                    o.Interface = value;
                    break;
                case "--vip" when NetworkAddress.TryParse(value, out var vip):
                    o.Vip = vip;
                    vipSet = true;
                    break;
                case "--service":
                    o.Services.Add(ParseService(value));
                    break;
                case "--server":
                    o.Servers.Add(ParseServer(value));
                    break;
                case "--scheduler":
                    o.Scheduler = value;
                    break;
                case "--workers" when int.TryParse(value, CultureInfo.InvariantCulture, out var workers) && workers >= 0:
                    o.Workers = workers;
                    break;
                case "--engine":
                    o.Engine = ParseEngine(value);
                    break;
                case "--batch-delay-us" when int.TryParse(value, CultureInfo.InvariantCulture, out var us) && us >= 0:
                    o.BatchDelayMicroseconds = us;
                    break;
                case "--xdp" when value is "off" or "generic" or "native" or "tc":
                    o.Xdp = value switch { "generic" => XdpMode.Generic, "native" => XdpMode.Native, "tc" => XdpMode.Tc, _ => XdpMode.Off };
                    break;
                case "--kernel-scheduling" when value is "on" or "off":
                    o.KernelScheduling = value == "on";
                    break;
                case "--health" when value is "tcp" or "none":
                    o.Health = value;
                    break;
                case "--health-interval-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var ms) && ms > 0:
                    o.HealthIntervalMs = ms;
                    break;
                default:
                    throw new FormatException($"bad argument {name} {value}");
            }
        }

        if (o.Mode.Length == 0 || !vipSet || o.Services.Count == 0 || o.Servers.Count == 0)
        {
            throw new FormatException("expected --mode dr|proxy, --vip ADDR, at least one --service PROTO:PORT and one --server ADDR:WEIGHT");
        }

        return o;
    }

    private static LoadBalancing.Forwarding.Proxy.ProxyEngine ParseEngine(string value)
        => Enum.TryParse<LoadBalancing.Forwarding.Proxy.ProxyEngine>(value, ignoreCase: true, out var engine) && Enum.IsDefined(engine)
            ? engine
            : throw new FormatException($"bad engine '{value}': expected auto, sockets or eventloop");

    public LoadBalancerConfig BuildConfig() => new()
    {
        Services =
        [
            .. Services.Select(s => new VirtualServiceConfig
            {
                Key = VirtualServiceKey.ForAddress(s.Protocol, Vip, s.Port),
                Scheduler = Scheduler,
                RealServers = [.. Servers.Select(r => new RealServerConfig { Address = r.Address, Port = s.Port, Weight = r.Weight })],
            }),
        ],
    };

    private static (ServiceProtocol, ushort) ParseService(string value)
    {
        var parts = value.Split(':');
        if (parts.Length == 2 && ushort.TryParse(parts[1], CultureInfo.InvariantCulture, out var port) && port > 0)
        {
            switch (parts[0])
            {
                case "tcp":
                    return (ServiceProtocol.Tcp, port);
                case "udp":
                    return (ServiceProtocol.Udp, port);
            }
        }

        throw new FormatException($"--service {value}: expected tcp:PORT or udp:PORT");
    }

    private static (NetworkAddress, int) ParseServer(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && NetworkAddress.TryParse(value.AsSpan(0, colon).Trim("[]"), out var address)
            && int.TryParse(value.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var weight) && weight is >= 0 and <= RealServerConfig.MaxWeight)
        {
            return (address, weight);
        }

        throw new FormatException($"--server {value}: expected ADDRESS:WEIGHT (IPv6 as [ADDRESS]:WEIGHT), weight 0..65535");
    }
}
