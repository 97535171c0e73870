using System.Globalization;
using LoadBalancing.Forwarding.DirectRouting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Host;

/// <summary>
/// <c>Director:Forwarder</c>: <c>proxy</c> (default: the userspace TCP/UDP proxy, any OS, no privileges) or <c>dr</c>
/// (Linux: the raw-socket Direct-Routing forwarder on <c>Director:DirectRouting:InterfaceName</c>, as IPVS's <c>-g</c>;
/// needs CAP_NET_RAW and the director arrangement of docs/director.md). Settings of <c>Director:DirectRouting</c>:
/// <c>InterfaceName</c> (required), <c>Workers</c> (0 = one per processor), <c>UseReceiveRing</c> (true),
/// <c>BatchDelayMicroseconds</c> (100).
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
        var options = new DirectRoutingOptions { InterfaceName = section["InterfaceName"]?.Trim() ?? "" };
        if (options.InterfaceName.Length == 0)
        {
            return $"{DirectRoutingSection}:InterfaceName is required with {Key}=dr (the director's interface on the real servers' segment, e.g. eth0)";
        }

        if (section["Workers"] is { } workers)
        {
            if (!int.TryParse(workers, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count > 256)
            {
                return $"{DirectRoutingSection}:Workers '{workers}' must be a number from 0 (one per processor) to 256";
            }

            options.Workers = count;
        }

        if (section["UseReceiveRing"] is { } ring)
        {
            if (!bool.TryParse(ring, out var useRing))
            {
                return $"{DirectRoutingSection}:UseReceiveRing '{ring}' must be true or false";
            }

            options.UseReceiveRing = useRing;
        }

        if (section["BatchDelayMicroseconds"] is { } delay)
        {
            if (!int.TryParse(delay, NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds) || microseconds > 10_000)
            {
                return $"{DirectRoutingSection}:BatchDelayMicroseconds '{delay}' must be a number from 0 to 10000";
            }

            options.BatchDelay = TimeSpan.FromMicroseconds(microseconds);
        }

        builder.AddDirectRoutingForwarder(o =>
        {
            o.InterfaceName = options.InterfaceName;
            o.Workers = options.Workers;
            o.UseReceiveRing = options.UseReceiveRing;
            o.BatchDelay = options.BatchDelay;
        });
        builder.Services.AddHostedService<DirectRoutingForwarderHostedService>();
        return null;
    }
}
