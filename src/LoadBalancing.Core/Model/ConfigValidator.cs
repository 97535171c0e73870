using System.Globalization;

namespace LoadBalancing.Model;

/// <summary>Whole-snapshot validation with IPVS's and ipvsadm's rules; collects every problem rather than stopping at the first.</summary>
internal static class ConfigValidator
{
    /// <summary>IPVS's <c>IP_VS_SCHEDNAME_MAXLEN</c> is 16 bytes including the terminating NUL.</summary>
    private const int MaxSchedulerNameLength = 15;

    public static List<ConfigError> Validate(LoadBalancerConfig config, IReadOnlySet<string>? knownSchedulers)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<ConfigError>();
        ValidateTimeouts(config.Timeouts, errors);

        var seen = new HashSet<VirtualServiceKey>();
        for (var i = 0; i < config.Services.Length; i++)
        {
            var service = config.Services[i];
            if (service is null)
            {
                errors.Add(new ConfigError($"services[{i}]", "must not be null"));
                continue;
            }

            var path = $"services[{service.Key}]";
            if (!seen.Add(service.Key))
            {
                errors.Add(new ConfigError(path, "service already exists (each protocol/address/port or firewall mark may appear once)"));
            }

            ValidateService(service, path, knownSchedulers, errors);
        }

        return errors;
    }

    private static void ValidateTimeouts(TimeoutConfig timeouts, List<ConfigError> errors)
    {
        if (timeouts is null)
        {
            errors.Add(new ConfigError("timeouts", "must not be null"));
            return;
        }

        CheckTimeout(timeouts.TcpEstablished, "timeouts.tcp", errors);
        CheckTimeout(timeouts.TcpFinWait, "timeouts.tcpFin", errors);
        CheckTimeout(timeouts.Udp, "timeouts.udp", errors);
    }

    private static void CheckTimeout(TimeSpan value, string path, List<ConfigError> errors)
    {
        if (value <= TimeSpan.Zero || value > TimeoutConfig.MaxTimeout || value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(new ConfigError(path, $"expected a whole number of seconds from 1 to {TimeoutConfig.MaxTimeout.TotalSeconds:0}, got {value.TotalSeconds.ToString(CultureInfo.InvariantCulture)}"));
        }
    }

    private static void ValidateService(VirtualServiceConfig service, string path, IReadOnlySet<string>? knownSchedulers, List<ConfigError> errors)
    {
        var key = service.Key;
        if (key.Address.Family is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            errors.Add(new ConfigError(path + ".address", "expected an IPv4 or IPv6 address"));
            return;
        }

        if (!key.IsFirewallMark && !Enum.IsDefined(key.Protocol))
        {
            errors.Add(new ConfigError(path + ".protocol", "expected TCP, UDP or SCTP"));
        }

        if (!key.IsFirewallMark && key.Port == 0 && !service.IsPersistent)
        {
            errors.Add(new ConfigError(path + ".port", "zero port specified for non-persistent service (port 0 means all ports and needs persistence)"));
        }

        if (string.IsNullOrEmpty(service.Scheduler))
        {
            errors.Add(new ConfigError(path + ".scheduler", "expected a scheduler name such as wlc"));
        }
        else if (service.Scheduler.Length > MaxSchedulerNameLength)
        {
            errors.Add(new ConfigError(path + ".scheduler", $"scheduler name '{service.Scheduler}' is longer than {MaxSchedulerNameLength} characters"));
        }
        else if (knownSchedulers is not null && !knownSchedulers.Contains(service.Scheduler))
        {
            errors.Add(new ConfigError(path + ".scheduler", $"scheduler '{service.Scheduler}' not found; known: {string.Join(' ', knownSchedulers.Order(StringComparer.Ordinal))}"));
        }

        if ((service.SchedulerFlags & ~(SchedulerFlags.Flag1 | SchedulerFlags.Flag2 | SchedulerFlags.Flag3)) != 0)
        {
            errors.Add(new ConfigError(path + ".schedulerFlags", "expected only flag-1, flag-2 and flag-3"));
        }

        if (service.PersistenceTimeout is { } timeout
            && (timeout < TimeSpan.FromSeconds(1) || timeout > VirtualServiceConfig.MaxPersistenceTimeout || timeout.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            errors.Add(new ConfigError(path + ".persistenceTimeout", $"expected a whole number of seconds from 1 to {VirtualServiceConfig.MaxPersistenceTimeout.TotalSeconds:0}"));
        }

        if (service.PersistencePrefixLength is { } prefix)
        {
            var min = key.Address.IsIPv6 ? 1 : 0;
            if (prefix < min || prefix > key.Address.BitLength)
            {
                errors.Add(new ConfigError(path + ".persistenceNetmask", $"expected a prefix length from {min} to {key.Address.BitLength}, got {prefix}"));
            }
        }

        if (service.PersistenceEngine is { } pe && pe != "sip")
        {
            errors.Add(new ConfigError(path + ".persistenceEngine", $"persistence engine '{pe}' not found; known: sip"));
        }

        if (service.OnePacket && !key.IsFirewallMark && key.Protocol != ServiceProtocol.Udp)
        {
            errors.Add(new ConfigError(path + ".onePacket", "one-packet scheduling is only for UDP virtual services"));
        }

        var servers = new HashSet<(NetworkAddress, ushort)>();
        foreach (var server in service.RealServers)
        {
            if (server is null)
            {
                errors.Add(new ConfigError(path + ".realServers", "must not contain null"));
                continue;
            }

            var serverPath = server.Address.IsIPv6
                ? $"{path}.realServers[[{server.Address}]:{server.Port}]"
                : $"{path}.realServers[{server.Address}:{server.Port}]";
            if (!servers.Add((server.Address, server.Port)))
            {
                errors.Add(new ConfigError(serverPath, "destination already exists"));
            }

            ValidateServer(server, key, serverPath, errors);
        }
    }

    private static void ValidateServer(RealServerConfig server, VirtualServiceKey key, string path, List<ConfigError> errors)
    {
        if (server.Address.Family is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6))
        {
            errors.Add(new ConfigError(path + ".address", "expected an IPv4 or IPv6 address"));
            return;
        }

        if (!Enum.IsDefined(server.Method))
        {
            errors.Add(new ConfigError(path + ".method", "expected Route, Tunnel, Masquerade or Local"));
        }

        if (server.Address.Family != key.Address.Family && server.Method != ForwardingMethod.Tunnel)
        {
            errors.Add(new ConfigError(path + ".address", "different address family is allowed only for tunneling servers"));
        }

        if (server.Weight is < 0 or > RealServerConfig.MaxWeight)
        {
            errors.Add(new ConfigError(path + ".weight", $"expected 0 to {RealServerConfig.MaxWeight}, got {server.Weight}"));
        }

        if (server.UpperThreshold > int.MaxValue || server.LowerThreshold > int.MaxValue)
        {
            errors.Add(new ConfigError(path + ".thresholds", $"expected thresholds from 0 to {int.MaxValue}"));
        }

        // IPVS rejects l_threshold > u_threshold with ERANGE, so a lower threshold needs an upper one.
        if (server.LowerThreshold > server.UpperThreshold)
        {
            errors.Add(new ConfigError(path + ".lowerThreshold", $"lower threshold {server.LowerThreshold} is above upper threshold {server.UpperThreshold} (numerical result out of range)"));
        }

        ValidateTunnel(server, path, errors);
    }

    private static void ValidateTunnel(RealServerConfig server, string path, List<ConfigError> errors)
    {
        if (server.Method != ForwardingMethod.Tunnel)
        {
            if (server.TunnelType != TunnelType.IpIp || server.TunnelPort != 0 || server.TunnelChecksum != TunnelChecksum.None)
            {
                errors.Add(new ConfigError(path + ".tunnel", "tunnel options conflict with forward method"));
            }

            return;
        }

        switch (server.TunnelType)
        {
            case TunnelType.IpIp:
                if (server.TunnelPort != 0)
                {
                    errors.Add(new ConfigError(path + ".tunnelPort", "illegal 'tun-port' option with the 'ipip' tunnel type"));
                }

                if (server.TunnelChecksum != TunnelChecksum.None)
                {
                    errors.Add(new ConfigError(path + ".tunnelChecksum", "checksum options are not allowed with the 'ipip' tunnel type"));
                }

                break;
            case TunnelType.Gue:
                if (server.TunnelPort == 0)
                {
                    errors.Add(new ConfigError(path + ".tunnelPort", "you need to supply the 'tun-port' option for the 'gue' tunnel type"));
                }

                break;
            case TunnelType.Gre:
                if (server.TunnelPort != 0)
                {
                    errors.Add(new ConfigError(path + ".tunnelPort", "illegal 'tun-port' option with the 'gre' tunnel type"));
                }

                if (server.TunnelChecksum == TunnelChecksum.Remote)
                {
                    errors.Add(new ConfigError(path + ".tunnelChecksum", "remote checksum offload is not allowed with the 'gre' tunnel type"));
                }

                break;
            default:
                errors.Add(new ConfigError(path + ".tunnelType", "expected ipip, gue or gre"));
                break;
        }
    }
}
