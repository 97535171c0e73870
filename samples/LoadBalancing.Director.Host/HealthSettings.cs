using System.Globalization;
using System.Net;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Host;

/// <summary>
/// The director's health settings (section <c>Director:Health</c>): active checks of every real server, passive
/// ejection by the proxy's connect outcomes (outlier detection), and quorum, hysteresis and sorry server per virtual
/// service. Read and validated before the host is built; every problem is one message naming the setting.
/// </summary>
internal static class HealthSettings
{
    public const string Section = "Director:Health";

    /// <summary>Registers health checking as configured.</summary>
    /// <returns>The problems, each naming its setting; empty when the settings are valid (and registered).</returns>
    public static IReadOnlyList<string> TryAdd(ILoadBalancingBuilder builder, IConfiguration configuration)
    {
        var reader = new SettingsReader(configuration.GetSection(Section));
        var checks = ReadChecks(reader);
        var quorums = ReadQuorums(reader);
        var outliers = ReadOutlierDetection(reader);
        if (reader.Problems.Count > 0)
        {
            return reader.Problems;
        }

        builder.AddHealthChecks(o =>
        {
            o.DefaultPolicy = checks.Policy;
            if (!checks.Enabled)
            {
                o.ProbeFactory = _ => null; // unchecked: always up, passive ejection and quorum still apply
            }

            o.QuorumFactory = service => quorums.TryGetValue(service.Key, out var quorum) ? quorum.Policy(service.Key) : null;
        });
        if (quorums.Count > 0)
        {
            // A VirtualServices entry whose service is not in the table is not an error (discovery may add it later),
            // but an operator's typo must not go unnoticed: one warning per entry while its service is missing.
            builder.Services.AddHostedService(provider => new QuorumSettingsWatcher(
                provider.GetRequiredService<LoadBalancing.Runtime.ServiceTable>(),
                provider.GetRequiredService<Microsoft.Extensions.Logging.ILogger<QuorumSettingsWatcher>>(),
                quorums.ToDictionary(q => q.Key, q => q.Value.Setting)));
        }
        if (outliers is not null)
        {
            // With the proxy forwarder registered too, AddProxyForwarder wires its connect outcomes to the detector.
            builder.AddOutlierDetection(outliers);
        }

        return [];
    }

    private static (bool Enabled, HealthCheckPolicy Policy) ReadChecks(SettingsReader reader)
    {
        var section = reader.Child("Checks");
        var defaults = new HealthCheckPolicy();
        var policy = new HealthCheckPolicy
        {
            DelayLoop = section.Time("DelayLoop", defaults.DelayLoop),
            Retry = section.Int("Retry", defaults.Retry),
            DelayBeforeRetry = section.Time("DelayBeforeRetry", defaults.DelayBeforeRetry),
            ConnectTimeout = section.Time("ConnectTimeout", defaults.ConnectTimeout),
            Rise = section.Int("Rise", defaults.Rise),
            Fall = section.Int("Fall", defaults.Fall),
            InhibitOnFailure = section.Bool("InhibitOnFailure", defaults.InhibitOnFailure),
            SlowStart = section.Time("SlowStart", defaults.SlowStart),
        };
        section.Report(policy.Validate());
        return (section.Bool("Enabled", true), policy);
    }

    private static OutlierDetectionOptions? ReadOutlierDetection(SettingsReader reader)
    {
        var section = reader.Child("OutlierDetection");
        if (!section.Bool("Enabled", false))
        {
            return null;
        }

        var defaults = new OutlierDetectionOptions();
        var successRate = section.Child("SuccessRate");
        var failurePercentage = section.Child("FailurePercentage");
        var rateDefaults = new SuccessRateEjectionOptions();
        var percentageDefaults = new FailurePercentageEjectionOptions();
        var options = new OutlierDetectionOptions
        {
            Interval = section.Time("Interval", defaults.Interval),
            BaseEjectionTime = section.Time("BaseEjectionTime", defaults.BaseEjectionTime),
            MaxEjectionTime = section.Time("MaxEjectionTime", defaults.MaxEjectionTime),
            MaxEjectionPercent = section.Int("MaxEjectionPercent", defaults.MaxEjectionPercent),
            ConsecutiveFailures = section.Int("ConsecutiveFailures", defaults.ConsecutiveFailures),
            ConsecutiveFailuresEnforcementPercentage = section.Int("ConsecutiveFailuresEnforcementPercentage", defaults.ConsecutiveFailuresEnforcementPercentage),
            SuccessRate = successRate.Bool("Enabled", true)
                ? new SuccessRateEjectionOptions
                {
                    StdevFactor = successRate.Int("StdevFactor", rateDefaults.StdevFactor),
                    EnforcementPercentage = successRate.Int("EnforcementPercentage", rateDefaults.EnforcementPercentage),
                    MinimumHosts = successRate.Int("MinimumHosts", rateDefaults.MinimumHosts),
                    RequestVolume = successRate.Int("RequestVolume", rateDefaults.RequestVolume),
                }
                : null,
            FailurePercentage = failurePercentage.Bool("Enabled", false)
                ? new FailurePercentageEjectionOptions
                {
                    Threshold = failurePercentage.Int("Threshold", percentageDefaults.Threshold),
                    EnforcementPercentage = failurePercentage.Int("EnforcementPercentage", percentageDefaults.EnforcementPercentage),
                    MinimumHosts = failurePercentage.Int("MinimumHosts", percentageDefaults.MinimumHosts),
                    RequestVolume = failurePercentage.Int("RequestVolume", percentageDefaults.RequestVolume),
                }
                : null,
        };
        section.Report(options.Validate());
        return options;
    }

    /// <summary>Reads <c>VirtualServices:N</c>: <c>Service</c> (<c>-t|-u ADDRESS:PORT</c> or <c>-f MARK</c>), <c>Quorum</c>, <c>Hysteresis</c>, <c>SorryServer</c>, <c>SorryServerWeight</c>, <c>SorryServerMethod</c>.</summary>
    /// <returns>Per service: the setting that names it (for messages) and its policy.</returns>
    private static Dictionary<VirtualServiceKey, (string Setting, Func<VirtualServiceKey, QuorumPolicy> Policy)> ReadQuorums(SettingsReader reader)
    {
        var result = new Dictionary<VirtualServiceKey, (string Setting, Func<VirtualServiceKey, QuorumPolicy> Policy)>();
        foreach (var entry in reader.Children("VirtualServices"))
        {
            var serviceText = entry.String("Service");
            if (serviceText is null)
            {
                entry.Problem("Service", "is required (-t ADDRESS:PORT, -u ADDRESS:PORT or -f MARK)");
                continue;
            }

            if (!TryParseService(serviceText, out var key))
            {
                entry.Problem("Service", $"'{serviceText}' must be -t ADDRESS:PORT, -u ADDRESS:PORT or -f MARK");
                continue;
            }

            if (result.ContainsKey(key))
            {
                entry.Problem("Service", $"'{serviceText}' is listed twice");
                continue;
            }

            var defaults = new QuorumPolicy();
            var quorum = entry.Int("Quorum", defaults.Quorum);
            var hysteresis = entry.Int("Hysteresis", defaults.Hysteresis);
            int? sorryWeight = entry.String("SorryServerWeight") is null ? null : entry.Int("SorryServerWeight", 1);
            ForwardingMethod? method = null;
            if (entry.String("SorryServerMethod") is { } methodText)
            {
                if (ParseMethod(methodText) is { } parsed)
                {
                    method = parsed;
                }
                else
                {
                    entry.Problem("SorryServerMethod", $"'{methodText}' must be -g (route), -m (masquerade) or -i (tunnel)");
                }
            }

            (NetworkAddress Address, ushort? Port)? sorry = null;
            if (entry.String("SorryServer") is { } sorryText)
            {
                if (TryParseEndpoint(sorryText, out var address, out var port))
                {
                    sorry = (address, port);
                }
                else
                {
                    entry.Problem("SorryServer", $"'{sorryText}' must be ADDRESS or ADDRESS:PORT");
                }
            }

            // The sorry server's port defaults to the service's (as ipvsadm's -r without a port).
            QuorumPolicy Policy(VirtualServiceKey k) => new()
            {
                Quorum = quorum,
                Hysteresis = hysteresis,
                SorryServer = sorry is { } s ? new ProbeTarget(s.Address, s.Port ?? k.Port) : null,
                SorryServerWeight = sorryWeight,
                SorryServerMethod = method,
            };

            entry.Report(Policy(key).Validate());
            result[key] = ($"{entry.PathOf("Service")} '{serviceText}'", Policy);
        }

        return result;
    }

    private static bool TryParseService(string text, out VirtualServiceKey key)
    {
        key = default;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            return false;
        }

        if (parts[0] == "-f")
        {
            if (!uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var mark) || mark == 0)
            {
                return false;
            }

            key = VirtualServiceKey.ForFirewallMark(mark);
            return true;
        }

        ServiceProtocol? protocol = parts[0] switch
        {
            "-t" => ServiceProtocol.Tcp,
            "-u" => ServiceProtocol.Udp,
            _ => null,
        };
        if (protocol is null || !TryParseEndpoint(parts[1], out var address, out var port) || port is null)
        {
            return false;
        }

        key = VirtualServiceKey.ForAddress(protocol.Value, address, port.Value);
        return true;
    }

    private static bool TryParseEndpoint(string text, out NetworkAddress address, out ushort? port)
    {
        address = default;
        port = null;
        if (IPAddress.TryParse(text, out var bare) && !text.Contains(':', StringComparison.Ordinal))
        {
            address = NetworkAddress.FromIPAddress(bare);
            return true;
        }

        if (!IPEndPoint.TryParse(text, out var endPoint) || endPoint.Port == 0 || !(text.EndsWith(":" + endPoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)))
        {
            // A bare IPv6 address parses as an endpoint with port 0: take it as an address without a port.
            if (IPAddress.TryParse(text.Trim('[', ']'), out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                address = NetworkAddress.FromIPAddress(v6);
                return true;
            }

            return false;
        }

        address = NetworkAddress.FromIPAddress(endPoint.Address);
        port = (ushort)endPoint.Port;
        return true;
    }

    private static ForwardingMethod? ParseMethod(string text) => text.ToLowerInvariant() switch
    {
        "-g" or "g" or "route" or "gatewaying" or "dr" => ForwardingMethod.Route,
        "-m" or "m" or "masquerade" or "masq" or "nat" => ForwardingMethod.Masquerade,
        "-i" or "i" or "tunnel" or "tun" or "ipip" => ForwardingMethod.Tunnel,
        _ => null,
    };
}
