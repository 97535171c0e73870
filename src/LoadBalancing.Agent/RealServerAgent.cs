using System.Net;
using System.Net.Sockets;
using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Network;
using LoadBalancing.Agent.Planning;
using LoadBalancing.Agent.State;
using LoadBalancing.Agent.Systemd;
using LoadBalancing.Health.Probes;
using LoadBalancing.Model;

namespace LoadBalancing.Agent;

/// <summary>
/// Plans, applies and reverts the real-server setup of one host: VIPs on the loopback interface, ARP suppression
/// (and loose reverse-path filtering for TUN), shared mounts through systemd. Not thread-safe: one operation at a time.
/// </summary>
internal sealed partial class RealServerAgent(AgentOptions options, ProcSysctl? sysctl = null)
{
    // IFA_F_* (include/uapi/linux/if_addr.h) and RT_SCOPE_* (rtnetlink.h).
    private const uint IfaFNoDad = 0x02;
    private const uint IfaFNoPrefixRoute = 0x200;
    private const byte RtScopeUniverse = 0;
    private const byte RtScopeHost = 254;

    private readonly ProcSysctl _sysctl = sysctl ?? new ProcSysctl();
    private readonly AgentStateStore _store = new(options.StateFile);

    /// <summary>Called after the state file is written (0) and after each change (1, 2, …); tests inject crashes here.</summary>
    public Action<int>? AfterStep { get; set; }

    public AgentOptions Options => options;

    public async Task<AgentPlan> PlanAsync(CancellationToken cancellationToken)
    {
        var changes = new List<AgentChange>();
        var notes = new List<string>();
        if (options.Vips.Count > 0)
        {
            PlanVips(changes, notes);
        }

        if (options.Mounts.Count > 0)
        {
            await using var systemd = await SystemdManager.ConnectAsync(options.SystemdBus, cancellationToken).ConfigureAwait(false);
            await PlanMountsAsync(systemd, changes, notes, cancellationToken).ConfigureAwait(false);
        }

        foreach (var endpoint in options.HealthEndpoints)
        {
            notes.Add($"advertise health endpoint {endpoint.Name}: {endpoint.Protocol} port {endpoint.Port}{(endpoint.Path is null ? "" : $" {endpoint.Path}")}");
        }

        return new AgentPlan([.. changes.OrderBy(c => c.Order)], notes);
    }

    private void PlanVips(List<AgentChange> changes, List<string> notes)
    {
        var loopback = options.LoopbackInterface;
        var loIndex = InterfaceIndex.Find(loopback) ?? throw new AgentException($"LoopbackInterface: interface '{loopback}' does not exist");
        List<InterfaceAddress> present;
        using (var netlink = RouteNetlink.Open())
        {
            present = netlink.GetAddresses();
        }

        var hasIPv4 = false;
        var tunnel = false;
        for (var i = 0; i < options.Vips.Count; i++)
        {
            var vip = options.Vips[i];
            var address = IPAddress.Parse(vip.Address);
            var v4 = address.AddressFamily == AddressFamily.InterNetwork;
            hasIPv4 |= v4;
            if (vip.Method == Configuration.ForwardingMethod.Tun)
            {
                tunnel = true;
                CheckTunnelDevice(i, vip, v4);
            }

            var prefix = (byte)(v4 ? 32 : 128);
            if (present.Any(a => a.InterfaceIndex == loIndex && a.PrefixLength == prefix && a.Address.Equals(address)))
            {
                notes.Add($"{address}/{prefix} already on {loopback}");
                continue;
            }

            // IPv4: scope host keeps the VIP out of source-address selection (inet_select_addr skips scopes narrower
            // than the route's) for traffic this host starts; replies to the director's clients still leave from it,
            // since their sockets are bound to the VIP. IPv6: no DAD on lo, and no prefix route in the main table.
            changes.Add(v4
                ? new AddAddressChange(loopback, loIndex, address, prefix, RtScopeHost, IfaFNoPrefixRoute, vip.Method.ToString().ToUpperInvariant())
                : new AddAddressChange(loopback, loIndex, address, prefix, RtScopeUniverse, IfaFNoDad | IfaFNoPrefixRoute, vip.Method.ToString().ToUpperInvariant()));
        }

        // ARP only concerns IPv4: IPv6 neighbour discovery answers only for addresses on the receiving interface
        // (ndisc_recv_ns looks the target up on that device), so a VIP on lo is never advertised.
        if (hasIPv4)
        {
            foreach (var name in ArpInterfaceNames())
            {
                // The kernel uses max(all, receiving interface) for both (IN_DEV_ARP_IGNORE/ANNOUNCE), so any
                // value at least as strict is kept: arp_ignore >= 1 never answers for the VIP on lo, arp_announce 2 is the maximum.
                Require(changes, $"net/ipv4/conf/{name}/arp_ignore", "1", v => v >= 1);
                Require(changes, $"net/ipv4/conf/{name}/arp_announce", "2", v => v >= 2);
            }
        }

        if (tunnel)
        {
            // Decapsulated packets carry the client's source, which is not routed via tunl0: strict rp_filter (1)
            // drops them. The kernel uses max(all, tunl0), so both must be 0 or 2 (loose); loose keeps some checking.
            foreach (var name in new[] { "all", "tunl0" })
            {
                Require(changes, $"net/ipv4/conf/{name}/rp_filter", "2", v => v != 1);
            }
        }
    }

    private static void CheckTunnelDevice(int index, VipOptions vip, bool v4)
    {
        var device = v4 ? "tunl0" : "ip6tnl0";
        var module = v4 ? "ipip" : "ip6_tunnel";
        var config = v4 ? "CONFIG_NET_IPIP" : "CONFIG_IPV6_TUNNEL";
        if (!Directory.Exists($"/sys/class/net/{device}"))
        {
            throw new AgentException($"Vips[{index}] ({vip.Address}) uses TUN forwarding, but this kernel has no {device} device: load the {module} module (modprobe {module}; kernel option {config}); the agent does not load kernel modules");
        }

        var flags = File.ReadAllText($"/sys/class/net/{device}/flags").Trim();
        if ((Convert.ToInt32(flags, 16) & 1) == 0)
        {
            throw new AgentException($"Vips[{index}] ({vip.Address}) uses TUN forwarding, but {device} is down: bring it up (ip link set {device} up)");
        }
    }

    private IEnumerable<string> ArpInterfaceNames()
    {
        IEnumerable<string> real = options.ArpInterfaces.Count > 0
            ? options.ArpInterfaces
            : Directory.Exists("/proc/sys/net/ipv4/conf")
                ? Directory.GetDirectories("/proc/sys/net/ipv4/conf").Select(Path.GetFileName).OfType<string>()
                    .Where(n => n is not ("all" or "default") && n != options.LoopbackInterface).Order(StringComparer.Ordinal)
                : [];
        return new[] { "all", options.LoopbackInterface }.Concat(real).Distinct(StringComparer.Ordinal);
    }

    private void Require(List<AgentChange> changes, string name, string desired, Func<int, bool> satisfied)
    {
        var current = _sysctl.Read(name) ?? throw new AgentException($"{name.Split('/')[3]}: no such interface (/proc/sys/{name} is missing); check ArpInterfaces");
        if (!int.TryParse(current, System.Globalization.CultureInfo.InvariantCulture, out var value) || !satisfied(value))
        {
            changes.Add(new SetSysctlChange(name, current, desired));
        }
    }

    private async Task PlanMountsAsync(SystemdManager systemd, List<AgentChange> changes, List<string> notes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < options.Mounts.Count; i++)
        {
            var mount = options.Mounts[i];
            var spec = ToSpec(mount);
            var status = await systemd.GetUnitStatusAsync(spec.Unit).ConfigureAwait(false);
            if (status.IsActive)
            {
                notes.Add($"{spec.Unit} ({spec.What} on {spec.Where}) already active");
                continue;
            }

            if (AgentOptionsValidator.IsNfs(mount.Type) && mount.CheckExport)
            {
                notes.Add(await CheckExportAsync(i, mount, cancellationToken).ConfigureAwait(false));
            }

            var unitFile = mount.Persistence == MountPersistence.Transient
                ? null
                : Path.Combine(options.UnitRoot, mount.Persistence == MountPersistence.Runtime ? "run/systemd/system" : "etc/systemd/system", spec.Unit);
            changes.Add(new MountChange(spec, mount.Persistence, unitFile, status));
        }
    }

    private static async Task<string> CheckExportAsync(int index, SharedMountOptions mount, CancellationToken cancellationToken)
    {
        IPAddress address;
        if (!IPAddress.TryParse(mount.Server, out address!))
        {
            try
            {
                address = (await Dns.GetHostAddressesAsync(mount.Server!, cancellationToken).ConfigureAwait(false))[0];
            }
            catch (SocketException ex)
            {
                throw new AgentException($"Mounts[{index}].Server: cannot resolve '{mount.Server}': {ex.Message}");
            }
        }

        var probe = HealthProbes.NfsExport(new NfsExportProbeOptions { ExportPath = mount.Export, PortmapperPort = (ushort)mount.PortmapperPort });
        var result = await probe.ProbeAsync(new Health.ProbeTarget(NetworkAddress.FromIPAddress(address), 2049), cancellationToken).ConfigureAwait(false);
        return result.IsUp
            ? $"export {mount.Server}:{mount.Export} is available"
            : throw new AgentException($"Mounts[{index}]: export {mount.Server}:{mount.Export} is not available ({result.Reason}); not mounting");
    }

    private MountSpec ToSpec(SharedMountOptions mount)
    {
        var nfs = AgentOptionsValidator.IsNfs(mount.Type);
        var server = mount.Server is { } s && IPAddress.TryParse(s, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{s}]" : mount.Server;
        var what = nfs ? $"{server}:{mount.Export}" : mount.Export;
        var where = "/" + string.Join('/', mount.MountPoint.Split('/', StringSplitOptions.RemoveEmptyEntries));
        return new MountSpec(
            MountUnitName.FromPath(where), what, where, mount.Type, MountOptionString.ToSystemd(mount.Options),
            nfs || MountOptionString.HasNetDev(mount.Options), options.MountTimeout, $"LoadBalancing shared storage {what}");
    }
}
