using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Rules;

/// <summary>
/// Applies parsed rules to a <see cref="LoadBalancerConfig"/> with the kernel's semantics and libipvs's error
/// messages. Configurations are immutable: every method returns a new one and leaves its input untouched, so a
/// failed restore changes nothing.
/// </summary>
public static class RuleEditor
{
    /// <summary>
    /// The scheduler names the Linux kernel ships (ipvsadm 1.31's list plus <c>twos</c>), checked by default: a
    /// rules file names schedulers, it does not need their implementations to be registered.
    /// </summary>
    public static IReadOnlySet<string> KernelSchedulers { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        SchedulerNames.RoundRobin, SchedulerNames.WeightedRoundRobin, SchedulerNames.LeastConnection,
        SchedulerNames.WeightedLeastConnection, SchedulerNames.LocalityBasedLeastConnection,
        SchedulerNames.LocalityBasedLeastConnectionWithReplication, SchedulerNames.DestinationHashing,
        SchedulerNames.SourceHashing, SchedulerNames.ShortestExpectedDelay, SchedulerNames.NeverQueue,
        SchedulerNames.WeightedFailover, SchedulerNames.WeightedOverflow, SchedulerNames.MaglevHashing,
        SchedulerNames.PowerOfTwoChoices,
    };

    /// <summary>Applies one table change.</summary>
    /// <param name="config">The current configuration.</param>
    /// <param name="command">A command with <see cref="RuleCommand.IsTableChange"/>.</param>
    /// <param name="knownSchedulers">Scheduler names that exist; <see cref="KernelSchedulers"/> when <see langword="null"/>.</param>
    /// <returns>The new configuration.</returns>
    /// <exception cref="RuleApplyException">The kernel would refuse the change (message as ipvsadm prints it).</exception>
    public static LoadBalancerConfig Apply(LoadBalancerConfig config, RuleCommand command, IReadOnlySet<string>? knownSchedulers = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(command);
        knownSchedulers ??= KernelSchedulers;
        var line = command.Line;
        switch (command.Kind)
        {
            case RuleCommandKind.AddService:
            {
                var service = command.ServiceConfig!;
                if (IndexOfService(config, service.Key) >= 0)
                {
                    throw new RuleApplyException("Service already exists", line);
                }

                CheckSchedulerAndEngine(service, knownSchedulers, line);
                return config with { Services = config.Services.Add(service) };
            }

            case RuleCommandKind.EditService:
            {
                var service = command.ServiceConfig!;
                var index = IndexOfService(config, service.Key);
                if (index < 0)
                {
                    throw new RuleApplyException("No such service", line);
                }

                CheckSchedulerAndEngine(service, knownSchedulers, line);

                // IPVS_CMD_SET_SERVICE carries the whole record; the real servers stay.
                var edited = service with { RealServers = config.Services[index].RealServers };
                return config with { Services = config.Services.SetItem(index, edited) };
            }

            case RuleCommandKind.DeleteService:
            {
                var index = IndexOfService(config, command.Service!.Value);
                return index < 0
                    ? throw new RuleApplyException("No such service", line)
                    : config with { Services = config.Services.RemoveAt(index) };
            }

            case RuleCommandKind.Clear:
                return config with { Services = [] };

            case RuleCommandKind.Zero:
                // Counters are runtime state; a configuration only needs the service to exist.
                return command.Service is { } zeroKey && IndexOfService(config, zeroKey) < 0
                    ? throw new RuleApplyException("No such service", line)
                    : config;

            case RuleCommandKind.AddServer:
            case RuleCommandKind.EditServer:
            case RuleCommandKind.DeleteServer:
                return ApplyServer(config, command);

            case RuleCommandKind.SetTimeouts:
            {
                // 0 leaves a timeout unchanged (ipvs_set_timeout).
                var (tcp, fin, udp) = command.Timeouts;
                var t = config.Timeouts;
                return config with
                {
                    Timeouts = t with
                    {
                        TcpEstablished = tcp == 0 ? t.TcpEstablished : TimeSpan.FromSeconds(tcp),
                        TcpFinWait = fin == 0 ? t.TcpFinWait : TimeSpan.FromSeconds(fin),
                        Udp = udp == 0 ? t.Udp : TimeSpan.FromSeconds(udp),
                    },
                };
            }

            default:
                throw new ArgumentException($"'{command.Kind}' does not change the table.", nameof(command));
        }
    }

    /// <summary>
    /// Applies a whole restore: every command in order, then validates the result as a whole. Any error aborts
    /// the restore and the input configuration stays as it was (unlike ipvsadm, which keeps earlier lines).
    /// </summary>
    /// <param name="config">The current configuration.</param>
    /// <param name="commands">The parsed lines.</param>
    /// <param name="knownSchedulers">Scheduler names that exist; <see cref="KernelSchedulers"/> when <see langword="null"/>.</param>
    /// <returns>The new configuration.</returns>
    /// <exception cref="RuleApplyException">A line would be refused; <see cref="RuleApplyException.Line"/> says which.</exception>
    /// <exception cref="ConfigValidationException">The final configuration is invalid.</exception>
    public static LoadBalancerConfig ApplyAll(LoadBalancerConfig config, IEnumerable<RuleCommand> commands, IReadOnlySet<string>? knownSchedulers = null)
    {
        ArgumentNullException.ThrowIfNull(commands);
        knownSchedulers ??= KernelSchedulers;
        var result = config;
        foreach (var command in commands)
        {
            result = Apply(result, command, knownSchedulers);
        }

        result.EnsureValid(knownSchedulers);
        return result;
    }

    private static LoadBalancerConfig ApplyServer(LoadBalancerConfig config, RuleCommand command)
    {
        var line = command.Line;
        var serviceIndex = IndexOfService(config, command.Service!.Value);
        if (serviceIndex < 0)
        {
            throw new RuleApplyException("Service not defined", line);
        }

        var service = config.Services[serviceIndex];
        var server = command.Server!;
        var index = -1;
        for (var i = 0; i < service.RealServers.Length; i++)
        {
            if (service.RealServers[i].Address == server.Address && service.RealServers[i].Port == server.Port)
            {
                index = i;
                break;
            }
        }

        ImmutableArray<RealServerConfig> servers;
        switch (command.Kind)
        {
            case RuleCommandKind.AddServer:
                if (index >= 0)
                {
                    throw new RuleApplyException("Destination already exists", line);
                }

                CheckThresholds(server, line);
                servers = service.RealServers.Add(server);
                break;
            case RuleCommandKind.EditServer:
                if (index < 0)
                {
                    throw new RuleApplyException("No such destination", line);
                }

                CheckThresholds(server, line);
                servers = service.RealServers.SetItem(index, server);
                break;
            default:
                if (index < 0)
                {
                    throw new RuleApplyException("No such destination", line);
                }

                servers = service.RealServers.RemoveAt(index);
                break;
        }

        return config with { Services = config.Services.SetItem(serviceIndex, service with { RealServers = servers }) };
    }

    private static void CheckThresholds(RealServerConfig server, int line)
    {
        // ip_vs_add_dest / ip_vs_edit_dest: l_threshold > u_threshold is -ERANGE.
        if (server.LowerThreshold > server.UpperThreshold)
        {
            throw new RuleApplyException("Numerical result out of range", line);
        }
    }

    private static void CheckSchedulerAndEngine(VirtualServiceConfig service, IReadOnlySet<string> knownSchedulers, int line)
    {
        if (!knownSchedulers.Contains(service.Scheduler) || service.PersistenceEngine is { } pe && pe != "sip")
        {
            throw new RuleApplyException("Scheduler or persistence engine not found", line);
        }
    }

    private static int IndexOfService(LoadBalancerConfig config, VirtualServiceKey key)
    {
        for (var i = 0; i < config.Services.Length; i++)
        {
            if (config.Services[i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }
}
