using LoadBalancing.Forwarding.DirectRouting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Host;

/// <summary>
/// <c>Director:Forwarder</c>: <c>proxy</c> (default: the userspace TCP/UDP proxy, any OS, no privileges) or <c>dr</c>
/// (Linux: the raw-socket Direct-Routing forwarder on <c>Director:DirectRouting:InterfaceName</c>, as IPVS's <c>-g</c>;
/// needs CAP_NET_RAW and the director arrangement of docs/director.md). Settings of <c>Director:DirectRouting</c>:
/// <c>InterfaceName</c> (required), <c>Workers</c> (0 = one per processor), <c>UseReceiveRing</c> (true),
/// <c>BatchDelayMicroseconds</c> (100), <c>Xdp</c> (<c>off</c> default, <c>generic</c>, <c>native</c> or <c>tc</c>: the
/// kernel fast path for IPv4 flows), <c>XdpMaxFlows</c> (65536), <c>KernelScheduling</c> (true: with the fast path, the
/// kernel also schedules the SYNs of rr/wrr services from the scheduler's published picks).
/// </summary>
internal static class ForwarderSettings
{
    public const string Key = "Director:Forwarder";
    public const string DirectRoutingSection = "Director:DirectRouting";

    /// <summary>Registers the configured forwarder and the hosted service that runs it.</summary>
    /// <returns>The problem, naming the setting; <see langword="null"/> when the settings are valid (and registered).</returns>
    public static string? TryAdd(ILoadBalancingBuilder builder, IConfiguration configuration)
    {
        switch (configuration[Key]?.Trim().ToLowerInvariant())
        {
            case null or "" or "proxy":
                builder.AddProxyForwarder();
                builder.Services.AddHostedService<ProxyForwarderHostedService>();
                return null;
            case "dr" when !OperatingSystem.IsLinux():
                return $"{Key}=dr needs Linux (raw packet sockets); use {Key}=proxy";
            case "dr":
                return TryAddDirectRouting(builder, configuration.GetSection(DirectRoutingSection));
            default:
                return $"{Key} '{configuration[Key]}' must be proxy or dr";
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string? TryAddDirectRouting(ILoadBalancingBuilder builder, IConfigurationSection section)
    {
        var reader = new SettingsReader(section);
        var defaults = new DirectRoutingOptions();
        var interfaceName = reader.String("InterfaceName");
        if (interfaceName is null)
        {
            reader.Problem("InterfaceName", $"is required with {Key}=dr (the director's interface on the real servers' segment, e.g. eth0)");
        }

        var workers = reader.Int("Workers", defaults.Workers, 0, 256);
        var useRing = reader.Bool("UseReceiveRing", defaults.UseReceiveRing);
        var batchDelay = reader.Int("BatchDelayMicroseconds", (int)defaults.BatchDelay.TotalMicroseconds, 0, 10_000);
        var xdp = XdpMode.Off;
        switch (reader.String("Xdp")?.ToLowerInvariant())
        {
            case null or "off":
                break;
            case "generic":
                xdp = XdpMode.Generic;
                break;
            case "native":
                xdp = XdpMode.Native;
                break;
            case "tc":
                xdp = XdpMode.Tc;
                break;
            default:
                reader.Problem("Xdp", $"'{reader.String("Xdp")}' must be off, generic, native or tc");
                break;
        }

        var xdpMaxFlows = reader.Int("XdpMaxFlows", defaults.XdpMaxFlows, 1, 16 * 1024 * 1024);
        var kernelScheduling = reader.Bool("KernelScheduling", defaults.KernelScheduling);
        if (reader.Problems.Count > 0)
        {
            return reader.Problems[0];
        }

        builder.AddDirectRoutingForwarder(o =>
        {
            o.InterfaceName = interfaceName!;
            o.Workers = workers;
            o.UseReceiveRing = useRing;
            o.BatchDelay = TimeSpan.FromMicroseconds(batchDelay);
            o.Xdp = xdp;
            o.XdpMaxFlows = xdpMaxFlows;
            o.KernelScheduling = kernelScheduling;
        });
        builder.Services.AddHostedService<DirectRoutingForwarderHostedService>();
        return null;
    }
}
