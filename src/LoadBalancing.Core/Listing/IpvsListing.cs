using System.Globalization;
using System.Text;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Listing;

/// <summary>
/// Writes <c>ipvsadm -L</c> listings and <c>ipvsadm -S</c> rules byte for byte as ipvsadm 1.31 prints them
/// (ipvsadm.c <c>list_all</c>, <c>print_title</c>, <c>print_service_entry</c>, <c>print_largenum</c>).
/// </summary>
/// <remarks>
/// Without <see cref="ListOptions.Numeric"/> ports are printed as service names; addresses stay numeric
/// (no reverse DNS), which is what ipvsadm prints for addresses without a PTR record.
/// </remarks>
public static partial class IpvsListing
{
    private const string Version = "1.2.1";

    /// <summary>Writes a listing (<c>-L</c>): the version line, the title and every service, or one service.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="snapshot">What to list.</param>
    /// <param name="options">Listing options; <see cref="ListOptions.Stats"/> &gt; Rate &gt; Thresholds &gt; PersistentConnections &gt; TunnelInfo.</param>
    /// <param name="service">One service to list (no version line), or <see langword="null"/> for all.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    /// <returns><see langword="false"/> when <paramref name="service"/> does not exist (ipvsadm: <c>No such service</c>, exit 1).</returns>
    public static bool WriteList(TextWriter writer, ListingSnapshot snapshot, ListOptions options, VirtualServiceKey? service = null, ServiceNameTable? names = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshot);
        names ??= ServiceNameTable.Default;
        var sb = new StringBuilder();
        if (service is { } key)
        {
            var found = snapshot.Services.FirstOrDefault(s => s.Config.Key == key);
            if (found is null)
            {
                return false;
            }

            AppendTitle(sb, options);
            AppendService(sb, SortServers(found, options), options, names, rule: false);
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"IP Virtual Server version {Version} (size={snapshot.ConnectionTableSize})\n");
            AppendTitle(sb, options);
            foreach (var s in Order(snapshot, options))
            {
                AppendService(sb, s, options, names, rule: false);
            }
        }

        writer.Write(sb.ToString());
        return true;
    }

    /// <summary>Writes the rules (<c>-S</c>): <c>-A</c> lines each followed by its <c>-a</c> lines. Thresholds are not saved, as in ipvsadm.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="snapshot">What to save.</param>
    /// <param name="options"><see cref="ListOptions.Numeric"/> for <c>-S -n</c>; <see cref="ListOptions.NoSort"/> keeps kernel order.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    public static void WriteSave(TextWriter writer, ListingSnapshot snapshot, ListOptions options, ServiceNameTable? names = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshot);
        names ??= ServiceNameTable.Default;
        var sb = new StringBuilder();
        foreach (var s in Order(snapshot, options))
        {
            AppendService(sb, s, options, names, rule: true);
        }

        writer.Write(sb.ToString());
    }

    /// <summary>
    /// Writes a configuration as restorable rules that lose nothing: <c>-S -n</c> lines in configuration order
    /// (services and real servers in the order they were added, so restoring rebuilds the same kernel order),
    /// plus <c>-x</c>/<c>-y</c> on real servers with thresholds and a <c>--set</c> line for non-default timeouts.
    /// </summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="config">The configuration.</param>
    public static void WriteRules(TextWriter writer, LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        if (config.Timeouts != TimeoutConfig.Default)
        {
            var t = config.Timeouts;
            sb.Append(CultureInfo.InvariantCulture, $"--set {(long)t.TcpEstablished.TotalSeconds} {(long)t.TcpFinWait.TotalSeconds} {(long)t.Udp.TotalSeconds}\n");
        }

        foreach (var service in config.Services)
        {
            var listed = new ListedService
            {
                Config = service,
                RealServers = [.. service.RealServers.Select(r => new ListedRealServer { Config = r, Weight = r.Weight })],
            };
            AppendService(sb, listed, ListOptions.Numeric, ServiceNameTable.Empty, rule: true, withThresholds: true);
        }

        writer.Write(sb.ToString());
    }

    /// <summary>Writes <c>Timeout (tcp tcpfin udp): 900 120 300</c>.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="timeouts">The timeouts.</param>
    public static void WriteTimeouts(TextWriter writer, TimeoutConfig timeouts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(timeouts);
        writer.Write(string.Create(
            CultureInfo.InvariantCulture,
            $"Timeout (tcp tcpfin udp): {(long)timeouts.TcpEstablished.TotalSeconds} {(long)timeouts.TcpFinWait.TotalSeconds} {(long)timeouts.Udp.TotalSeconds}\n"));
    }

    /// <summary>
    /// Orders services and their real servers as ipvsadm prints them: sorted with libipvs's comparators and
    /// glibc's merge sort (quirks included), or in kernel order with <see cref="ListOptions.NoSort"/>.
    /// </summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="options">Listing options.</param>
    /// <returns>The services in print order, each with its real servers in print order.</returns>
    public static IReadOnlyList<ListedService> Order(ListingSnapshot snapshot, ListOptions options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if ((options & ListOptions.NoSort) != 0)
        {
            return snapshot.Services;
        }

        return IpvsSort.MergeSort(snapshot.Services, IpvsSort.CompareServices)
            .Select(s => SortServers(s, options))
            .ToList();
    }

    /// <summary>Formats an address and port as ipvsadm does: <c>10.0.0.1:80</c>, <c>[2001:db8::1]:http</c>.</summary>
    /// <param name="address">The address.</param>
    /// <param name="port">The port.</param>
    /// <param name="protocol">The protocol used to look the port name up.</param>
    /// <param name="numeric">Whether to print the port as a number.</param>
    /// <param name="names">Port names.</param>
    /// <returns>The text.</returns>
    public static string FormatEndpoint(NetworkAddress address, ushort port, ServiceProtocol protocol, bool numeric, ServiceNameTable names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var portText = numeric ? null : names.GetName(port, protocol);
        portText ??= port.ToString(CultureInfo.InvariantCulture);
        return address.IsIPv6 ? $"[{address}]:{portText}" : $"{address}:{portText}";
    }

    // print_service_entry sorts the real servers of every service it prints, also for "-L -t one-service".
    private static ListedService SortServers(ListedService service, ListOptions options)
        => (options & ListOptions.NoSort) != 0
            ? service
            : service with { RealServers = [.. IpvsSort.MergeSort(service.RealServers, IpvsSort.CompareDestinations)] };

    private static void AppendTitle(StringBuilder sb, ListOptions options)
    {
        if ((options & ListOptions.Stats) != 0)
        {
            AppendCountersTitle(sb, "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
        }
        else if ((options & ListOptions.Rate) != 0)
        {
            AppendCountersTitle(sb, "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
        }
        else if ((options & ListOptions.Thresholds) != 0)
        {
            sb.Append(Left("Prot LocalAddress:Port", 33)).Append(' ').Append(Left("Uthreshold", 10)).Append(' ')
                .Append(Left("Lthreshold", 10)).Append(' ').Append(Left("ActiveConn", 10)).Append(' ')
                .Append(Left("InActConn", 10)).Append("\n  -> RemoteAddress:Port\n");
        }
        else if ((options & ListOptions.PersistentConnections) != 0)
        {
            sb.Append(Left("Prot LocalAddress:Port", 33)).Append(' ').Append(Left("Weight", 9)).Append(' ')
                .Append(Left("PersistConn", 11)).Append(' ').Append(Left("ActiveConn", 10)).Append(' ')
                .Append(Left("InActConn", 10)).Append("\n  -> RemoteAddress:Port\n");
        }
        else if ((options & ListOptions.TunnelInfo) != 0)
        {
            sb.Append("Prot LocalAddress:Port Scheduler Flags\n")
                .Append("  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n");
        }
        else
        {
            sb.Append("Prot LocalAddress:Port Scheduler Flags\n")
                .Append("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
        }
    }

    private static void AppendCountersTitle(StringBuilder sb, string a, string b, string c, string d, string e)
        => sb.Append(Left("Prot LocalAddress:Port", 33)).Append(' ').Append(Right(a, 8)).Append(' ').Append(Right(b, 8))
            .Append(' ').Append(Right(c, 8)).Append(' ').Append(Right(d, 8)).Append(' ').Append(Right(e, 8))
            .Append("\n  -> RemoteAddress:Port\n");

    private static void AppendService(StringBuilder sb, ListedService service, ListOptions options, ServiceNameTable names, bool rule, bool withThresholds = false)
    {
        var config = service.Config;
        var key = config.Key;
        var numeric = (options & ListOptions.Numeric) != 0;
        string svcName;
        if (key.IsFirewallMark)
        {
            svcName = rule
                ? (key.Address.IsIPv6 ? $"-f {key.FirewallMark} -6" : $"-f {key.FirewallMark}")
                : (key.Address.IsIPv6 ? $"FWM  {key.FirewallMark} IPv6" : $"FWM  {key.FirewallMark}");
        }
        else
        {
            var vname = FormatEndpoint(key.Address, key.Port, key.Protocol, numeric, names);
            if (rule)
            {
                svcName = $"{ServiceOption(key.Protocol)} {vname}";
            }
            else
            {
                svcName = Left(ProtocolName(key.Protocol), 4) + " " + vname;

                // svc_name[33] = '\0' for IPv4 services.
                if (!key.Address.IsIPv6 && svcName.Length > 33)
                {
                    svcName = svcName[..33];
                }
            }
        }

        var flags = config.SchedulerFlags & (SchedulerFlags.Flag1 | SchedulerFlags.Flag2 | SchedulerFlags.Flag3);
        if (rule)
        {
            sb.Append("-A ").Append(svcName).Append(" -s ").Append(config.Scheduler);
            if (config.IsPersistent)
            {
                sb.Append(" -p ").Append(Seconds(config.PersistenceTimeout!.Value));
                if (config.PersistencePrefixLength is { } prefix && prefix != key.Address.BitLength)
                {
                    sb.Append(" -M ").Append(MaskText(key.Address, prefix));
                }
            }

            if (config.PersistenceEngine is { Length: > 0 } pe)
            {
                sb.Append(" --pe ").Append(pe);
            }

            if (config.OnePacket)
            {
                sb.Append(" -o");
            }

            if (flags != 0)
            {
                sb.Append(" -b ").Append(SchedulerFlagNames(config.Scheduler, flags));
            }
        }
        else if ((options & ListOptions.Stats) != 0)
        {
            sb.Append(Left(svcName, 33));
            AppendCounters(sb, service.Stats, options);
        }
        else if ((options & ListOptions.Rate) != 0)
        {
            sb.Append(Left(svcName, 33));
            AppendCounters(sb, service.Rates, options);
        }
        else
        {
            sb.Append(svcName).Append(' ').Append(config.Scheduler);
            if (flags != 0)
            {
                sb.Append(" (").Append(SchedulerFlagNames(config.Scheduler, flags)).Append(')');
            }

            if (config.IsPersistent)
            {
                sb.Append(" persistent ").Append(Seconds(config.PersistenceTimeout!.Value));
                if (config.PersistencePrefixLength is { } prefix && prefix != key.Address.BitLength)
                {
                    sb.Append(" mask ").Append(MaskText(key.Address, prefix));
                }

                if (config.PersistenceEngine is { Length: > 0 } pe)
                {
                    sb.Append(" pe ").Append(pe);
                }
            }

            if (config.OnePacket)
            {
                sb.Append(" ops");
            }
        }

        sb.Append('\n');

        foreach (var dest in service.RealServers)
        {
            AppendRealServer(sb, svcName, key.Protocol, dest, options, names, rule, withThresholds);
        }
    }

    private static void AppendRealServer(StringBuilder sb, string svcName, ServiceProtocol protocol, ListedRealServer dest, ListOptions options, ServiceNameTable names, bool rule, bool withThresholds)
    {
        var config = dest.Config;
        var numeric = (options & ListOptions.Numeric) != 0;

        // The port name is looked up with the service's protocol, for real servers too.
        var dname = FormatEndpoint(config.Address, config.Port, protocol, numeric, names);
        if (!rule && !config.Address.IsIPv6 && dname.Length > 28)
        {
            dname = dname[..28];
        }

        if (rule)
        {
            sb.Append("-a ").Append(svcName).Append(" -r ").Append(dname).Append(' ').Append(ForwardSwitch(config.Method))
                .Append(" -w ").Append(dest.Weight.ToString(CultureInfo.InvariantCulture));
            if (config.Method == ForwardingMethod.Tunnel)
            {
                sb.Append(" --tun-type ").Append(TunnelName(config.TunnelType));
                if (config.TunnelType == TunnelType.Gue)
                {
                    sb.Append(" --tun-port ").Append(config.TunnelPort.ToString(CultureInfo.InvariantCulture));
                }

                if (config.TunnelType != TunnelType.IpIp)
                {
                    sb.Append(' ').Append(ChecksumOption(config.TunnelChecksum));
                }
            }

            // ipvsadm -S drops thresholds; our own rules files keep them.
            if (withThresholds && config.UpperThreshold != 0)
            {
                sb.Append(" -x ").Append(U(config.UpperThreshold));
            }

            if (withThresholds && config.LowerThreshold != 0)
            {
                sb.Append(" -y ").Append(U(config.LowerThreshold));
            }

            sb.Append('\n');
            return;
        }

        sb.Append("  -> ");
        if ((options & ListOptions.Stats) != 0)
        {
            sb.Append(Left(dname, 28));
            AppendCounters(sb, dest.Stats, options);
        }
        else if ((options & ListOptions.Rate) != 0)
        {
            // CPS, InPPS and OutPPS are never scaled: "%8llu".
            sb.Append(Left(dname, 28)).Append(' ').Append(Right(U(dest.Rates.Connections), 8)).Append(' ')
                .Append(Right(U(dest.Rates.InPackets), 8)).Append(' ').Append(Right(U(dest.Rates.OutPackets), 8));
            AppendLargeNumber(sb, dest.Rates.InBytes, options);
            AppendLargeNumber(sb, dest.Rates.OutBytes, options);
        }
        else if ((options & ListOptions.Thresholds) != 0)
        {
            sb.Append(Left(dname, 28)).Append(' ').Append(Left(U(config.UpperThreshold), 10)).Append(' ')
                .Append(Left(U(config.LowerThreshold), 10)).Append(' ').Append(Left(U(dest.ActiveConnections), 10)).Append(' ')
                .Append(Left(U(dest.InactiveConnections), 10));
        }
        else if ((options & ListOptions.PersistentConnections) != 0)
        {
            sb.Append(Left(dname, 28)).Append(' ').Append(Left(U(dest.Weight), 9)).Append(' ')
                .Append(Left(U(dest.PersistentConnections), 11)).Append(' ').Append(Left(U(dest.ActiveConnections), 10)).Append(' ')
                .Append(Left(U(dest.InactiveConnections), 10));
        }
        else if ((options & ListOptions.TunnelInfo) != 0)
        {
            sb.Append(Left(dname, 28)).Append(' ').Append(Left(ForwardName(config.Method), 7)).Append(' ')
                .Append(Left(TunnelInfo(config), 13)).Append(' ').Append(Left(U(dest.Weight), 6)).Append(' ')
                .Append(Left(U(dest.ActiveConnections), 10)).Append(' ').Append(Left(U(dest.InactiveConnections), 10));
        }
        else
        {
            sb.Append(Left(dname, 28)).Append(' ').Append(Left(ForwardName(config.Method), 7)).Append(' ')
                .Append(Left(U(dest.Weight), 6)).Append(' ').Append(Left(U(dest.ActiveConnections), 10)).Append(' ')
                .Append(Left(U(dest.InactiveConnections), 10));
        }

        sb.Append('\n');
    }

    private static void AppendCounters(StringBuilder sb, ListingCounters c, ListOptions options)
    {
        AppendLargeNumber(sb, c.Connections, options);
        AppendLargeNumber(sb, c.InPackets, options);
        AppendLargeNumber(sb, c.OutPackets, options);
        AppendLargeNumber(sb, c.InBytes, options);
        AppendLargeNumber(sb, c.OutBytes, options);
    }

    /// <summary>print_largenum: 9 columns, scaled to K/M/G/T (truncating) unless <c>--exact</c>.</summary>
    private static void AppendLargeNumber(StringBuilder sb, ulong n, ListOptions options)
    {
        if ((options & ListOptions.Exact) != 0)
        {
            var digits = U(n);
            sb.Append(Right(digits, digits.Length <= 8 ? 9 : digits.Length + 1));
            return;
        }

        var text = n switch
        {
            < 100_000_000UL => Right(U(n), 9),
            < 1_000_000_000UL => Right(U(n / 1_000), 8) + "K",
            < 100_000_000_000UL => Right(U(n / 1_000_000), 8) + "M",
            < 100_000_000_000_000UL => Right(U(n / 1_000_000_000), 8) + "G",
            _ => Right(U(n / 1_000_000_000_000), 8) + "T",
        };
        sb.Append(text);
    }

    private static string SchedulerFlagNames(string scheduler, SchedulerFlags flags)
    {
        var names = new List<string>(3);
        if (scheduler is "sh" or "mh")
        {
            // Only the two hash flags have names here; flag-3 alone prints as "()" (an ipvsadm quirk).
            if ((flags & SchedulerFlags.Flag1) != 0)
            {
                names.Add(scheduler + "-fallback");
            }

            if ((flags & SchedulerFlags.Flag2) != 0)
            {
                names.Add(scheduler + "-port");
            }
        }
        else
        {
            if ((flags & SchedulerFlags.Flag1) != 0)
            {
                names.Add("flag-1");
            }

            if ((flags & SchedulerFlags.Flag2) != 0)
            {
                names.Add("flag-2");
            }

            if ((flags & SchedulerFlags.Flag3) != 0)
            {
                names.Add("flag-3");
            }
        }

        return string.Join(',', names);
    }

    private static string MaskText(NetworkAddress address, int prefix)
    {
        if (address.IsIPv6)
        {
            return prefix.ToString(CultureInfo.InvariantCulture);
        }

        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return NetworkAddress.FromIPv4(mask).ToString();
    }

    private static string TunnelInfo(RealServerConfig config)
    {
        if (config.Method != ForwardingMethod.Tunnel)
        {
            return "n/a";
        }

        var csum = config.TunnelChecksum switch
        {
            TunnelChecksum.Checksum => "+c",
            TunnelChecksum.Remote => "r+c",
            _ => "-c",
        };
        return config.TunnelType switch
        {
            TunnelType.Gue => $"gue:{config.TunnelPort}:{csum}",
            TunnelType.Gre => $"gre:{csum}",
            _ => "ipip",
        };
    }

    private static string ForwardName(ForwardingMethod method) => method switch
    {
        ForwardingMethod.Masquerade => "Masq",
        ForwardingMethod.Local => "Local",
        ForwardingMethod.Tunnel => "Tunnel",
        _ => "Route",
    };

    // Local is written as -g: ipvsadm has no switch for it.
    private static string ForwardSwitch(ForwardingMethod method) => method switch
    {
        ForwardingMethod.Masquerade => "-m",
        ForwardingMethod.Tunnel => "-i",
        _ => "-g",
    };

    private static string TunnelName(TunnelType type) => type switch
    {
        TunnelType.Gue => "gue",
        TunnelType.Gre => "gre",
        _ => "ipip",
    };

    private static string ChecksumOption(TunnelChecksum checksum) => checksum switch
    {
        TunnelChecksum.Checksum => "--tun-csum",
        TunnelChecksum.Remote => "--tun-remcsum",
        _ => "--tun-nocsum",
    };

    private static string ProtocolName(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Tcp => "TCP",
        ServiceProtocol.Udp => "UDP",
        ServiceProtocol.Sctp => "SCTP",
        _ => "?",
    };

    private static string ServiceOption(ServiceProtocol protocol) => protocol switch
    {
        ServiceProtocol.Tcp => "-t",
        ServiceProtocol.Udp => "-u",
        ServiceProtocol.Sctp => "--sctp-service",
        _ => "--xxx-service",
    };

    private static string Seconds(TimeSpan t) => ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static string U(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    private static string U(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string U(uint n) => n.ToString(CultureInfo.InvariantCulture);

    private static string U(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Left(string s, int width) => s.PadRight(width);

    private static string Right(string s, int width) => s.PadLeft(width);
}
