using System.Net.Sockets;
using Google.Protobuf;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using ModelForwardingMethod = LoadBalancing.Model.ForwardingMethod;
using ModelTunnelChecksum = LoadBalancing.Model.TunnelChecksum;
using ModelTunnelType = LoadBalancing.Model.TunnelType;
using WireListedService = LoadBalancing.Grpc.Control.ListedService;

namespace LoadBalancing.Grpc;

/// <summary>
/// Converts between the control API's messages and the Core model, both ways, so that <c>lbadm</c> and the
/// director agree on every field. Conversions from messages check what protobuf cannot (address lengths,
/// enum values, ranges) and throw <see cref="FormatException"/> naming the field; the server turns that into
/// <c>INVALID_ARGUMENT</c>.
/// </summary>
public static class ControlMapper
{
    /// <summary>Converts a service key to its message.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The message.</returns>
    public static ServiceKey ToMessage(VirtualServiceKey key) => new()
    {
        Protocol = (Protocol)(int)key.Protocol,
        Address = AddressBytes(key.Address),
        Port = key.Port,
        FirewallMark = key.FirewallMark,
        Ipv6 = key.Address.IsIPv6,
    };

    /// <summary>Converts a service key message to the model.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The message is malformed.</exception>
    public static VirtualServiceKey ToModel(ServiceKey? message)
    {
        if (message is null)
        {
            throw new FormatException("service: missing");
        }

        if (message.FirewallMark != 0)
        {
            return VirtualServiceKey.ForFirewallMark(message.FirewallMark, message.Ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        }

        var protocol = message.Protocol switch
        {
            Protocol.Tcp => ServiceProtocol.Tcp,
            Protocol.Udp => ServiceProtocol.Udp,
            Protocol.Sctp => ServiceProtocol.Sctp,
            _ => throw new FormatException($"service.protocol: {message.Protocol} is not TCP, UDP or SCTP"),
        };
        return VirtualServiceKey.ForAddress(protocol, ToAddress(message.Address, "service.address"), ToPort(message.Port, "service.port"));
    }

    /// <summary>Converts a service configuration (without its real servers) to its message.</summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The message.</returns>
    public static Service ToMessage(VirtualServiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var message = new Service
        {
            Key = ToMessage(config.Key),
            Scheduler = config.Scheduler,
            SchedulerFlags = (uint)config.SchedulerFlags,
            PersistenceEngine = config.PersistenceEngine ?? string.Empty,
            OnePacket = config.OnePacket,
        };
        if (config.PersistenceTimeout is { } timeout)
        {
            message.PersistenceTimeout = (uint)timeout.TotalSeconds;
        }

        if (config.PersistencePrefixLength is { } prefix)
        {
            message.PersistencePrefixLength = (uint)prefix;
        }

        return message;
    }

    /// <summary>Converts a service message to the model (without real servers).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="FormatException">The message is malformed.</exception>
    public static VirtualServiceConfig ToModel(Service? message)
    {
        if (message is null)
        {
            throw new FormatException("service: missing");
        }

        return new VirtualServiceConfig
        {
            Key = ToModel(message.Key),
            Scheduler = string.IsNullOrEmpty(message.Scheduler) ? Scheduling.SchedulerNames.WeightedLeastConnection : message.Scheduler,
            SchedulerFlags = (SchedulerFlags)message.SchedulerFlags,
            PersistenceTimeout = message.HasPersistenceTimeout ? TimeSpan.FromSeconds(message.PersistenceTimeout) : null,
            PersistencePrefixLength = message.HasPersistencePrefixLength ? checked((int)message.PersistencePrefixLength) : null,
            PersistenceEngine = string.IsNullOrEmpty(message.PersistenceEngine) ? null : message.PersistenceEngine,
            OnePacket = message.OnePacket,
        };
    }

    /// <summary>Converts a real-server configuration to its message.</summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The message.</returns>
    public static RealServer ToMessage(RealServerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new RealServer
        {
            Address = AddressBytes(config.Address),
            Port = config.Port,
            Method = (Control.ForwardingMethod)(int)config.Method,
            Weight = (uint)config.Weight,
            UpperThreshold = config.UpperThreshold,
            LowerThreshold = config.LowerThreshold,
            TunnelType = (Control.TunnelType)(int)config.TunnelType,
            TunnelPort = config.TunnelPort,
            TunnelChecksum = (Control.TunnelChecksum)(int)config.TunnelChecksum,
        };
    }

    /// <summary>Converts a real-server message to the model.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="FormatException">The message is malformed.</exception>
    public static RealServerConfig ToModel(RealServer? message)
    {
        if (message is null)
        {
            throw new FormatException("server: missing");
        }

        if (message.Weight > RealServerConfig.MaxWeight)
        {
            throw new FormatException($"server.weight: {message.Weight} is above {RealServerConfig.MaxWeight}");
        }

        return new RealServerConfig
        {
            Address = ToAddress(message.Address, "server.address"),
            Port = ToPort(message.Port, "server.port"),
            Method = Defined<ModelForwardingMethod>((int)message.Method, "server.method"),
            Weight = (int)message.Weight,
            UpperThreshold = message.UpperThreshold,
            LowerThreshold = message.LowerThreshold,
            TunnelType = Defined<ModelTunnelType>((int)message.TunnelType, "server.tunnel_type"),
            TunnelPort = ToPort(message.TunnelPort, "server.tunnel_port"),
            TunnelChecksum = Defined<ModelTunnelChecksum>((int)message.TunnelChecksum, "server.tunnel_checksum"),
        };
    }

    /// <summary>Converts timeouts to their message.</summary>
    /// <param name="timeouts">The timeouts.</param>
    /// <returns>The message.</returns>
    public static Timeouts ToMessage(TimeoutConfig timeouts)
    {
        ArgumentNullException.ThrowIfNull(timeouts);
        return new Timeouts
        {
            Tcp = (uint)timeouts.TcpEstablished.TotalSeconds,
            TcpFin = (uint)timeouts.TcpFinWait.TotalSeconds,
            Udp = (uint)timeouts.Udp.TotalSeconds,
        };
    }

    /// <summary>Converts a table change to its message (one <c>-R</c> line).</summary>
    /// <param name="command">A command with <see cref="RuleCommand.IsTableChange"/>.</param>
    /// <returns>The message.</returns>
    public static Command ToMessage(RuleCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var message = new Command
        {
            Kind = command.Kind switch
            {
                RuleCommandKind.AddService => CommandKind.AddService,
                RuleCommandKind.EditService => CommandKind.EditService,
                RuleCommandKind.DeleteService => CommandKind.DeleteService,
                RuleCommandKind.Clear => CommandKind.Clear,
                RuleCommandKind.AddServer => CommandKind.AddServer,
                RuleCommandKind.EditServer => CommandKind.EditServer,
                RuleCommandKind.DeleteServer => CommandKind.DeleteServer,
                RuleCommandKind.SetTimeouts => CommandKind.SetTimeouts,
                RuleCommandKind.Zero => CommandKind.Zero,
                _ => throw new ArgumentException($"'{command.Kind}' does not change the table.", nameof(command)),
            },
            Line = command.Line,
        };
        if (command.Service is { } key)
        {
            message.Service = ToMessage(key);
        }

        if (command.ServiceConfig is { } service)
        {
            message.ServiceConfig = ToMessage(service);
        }

        if (command.Server is { } server)
        {
            message.Server = ToMessage(server);
        }

        if (command.Kind == RuleCommandKind.SetTimeouts)
        {
            message.Timeouts = new Timeouts { Tcp = (uint)command.Timeouts.Tcp, TcpFin = (uint)command.Timeouts.TcpFin, Udp = (uint)command.Timeouts.Udp };
        }

        return message;
    }

    /// <summary>Converts a command message to the rule command the Core editor applies.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The command.</returns>
    /// <exception cref="FormatException">The message is malformed.</exception>
    public static RuleCommand ToModel(Command message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var kind = message.Kind switch
        {
            CommandKind.AddService => RuleCommandKind.AddService,
            CommandKind.EditService => RuleCommandKind.EditService,
            CommandKind.DeleteService => RuleCommandKind.DeleteService,
            CommandKind.Clear => RuleCommandKind.Clear,
            CommandKind.AddServer => RuleCommandKind.AddServer,
            CommandKind.EditServer => RuleCommandKind.EditServer,
            CommandKind.DeleteServer => RuleCommandKind.DeleteServer,
            CommandKind.SetTimeouts => RuleCommandKind.SetTimeouts,
            CommandKind.Zero => RuleCommandKind.Zero,
            _ => throw new FormatException($"command.kind: {message.Kind} is not a table change"),
        };
        var serviceConfig = kind is RuleCommandKind.AddService or RuleCommandKind.EditService ? ToModel(message.ServiceConfig) : null;
        VirtualServiceKey? key = serviceConfig?.Key;
        if (key is null && message.Service is not null)
        {
            key = ToModel(message.Service);
        }

        if (key is null && kind is RuleCommandKind.DeleteService or RuleCommandKind.AddServer or RuleCommandKind.EditServer or RuleCommandKind.DeleteServer)
        {
            throw new FormatException("command.service: missing");
        }

        var timeouts = message.Timeouts ?? new Timeouts();
        return new RuleCommand
        {
            Kind = kind,
            Line = message.Line > 0 ? message.Line : 1,
            Service = key,
            ServiceConfig = serviceConfig,
            Server = kind is RuleCommandKind.AddServer or RuleCommandKind.EditServer or RuleCommandKind.DeleteServer ? ToModel(message.Server) : null,
            Timeouts = (ToSeconds(timeouts.Tcp, "timeouts.tcp"), ToSeconds(timeouts.TcpFin, "timeouts.tcp_fin"), ToSeconds(timeouts.Udp, "timeouts.udp")),
        };
    }

    /// <summary>Converts a listing snapshot to the <c>List</c>/<c>Watch</c> reply.</summary>
    /// <param name="snapshot">The snapshot (kernel order).</param>
    /// <param name="generation">The table generation.</param>
    /// <returns>The message.</returns>
    public static Table ToMessage(ListingSnapshot snapshot, ulong generation)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var table = new Table
        {
            Generation = generation,
            Timeouts = ToMessage(snapshot.Timeouts),
            ConnectionTableSize = (uint)snapshot.ConnectionTableSize,
        };
        foreach (var service in snapshot.Services)
        {
            var listed = new WireListedService { Config = ToMessage(service.Config), Stats = ToMessage(service.Stats), Rates = ToMessage(service.Rates) };
            foreach (var server in service.RealServers)
            {
                listed.Servers.Add(new ListedServer
                {
                    Config = ToMessage(server.Config),
                    Weight = server.Weight,
                    ActiveConnections = server.ActiveConnections,
                    InactiveConnections = server.InactiveConnections,
                    PersistentConnections = server.PersistentConnections,
                    Stats = ToMessage(server.Stats),
                    Rates = ToMessage(server.Rates),
                });
            }

            table.Services.Add(listed);
        }

        return table;
    }

    /// <summary>Converts a <c>List</c>/<c>Watch</c> reply to the snapshot the listings render.</summary>
    /// <param name="table">The message.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="FormatException">The message is malformed.</exception>
    public static ListingSnapshot ToModel(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var timeouts = table.Timeouts ?? ToMessage(TimeoutConfig.Default);
        return new ListingSnapshot
        {
            ConnectionTableSize = table.ConnectionTableSize == 0 ? ListingSnapshot.DefaultConnectionTableSize : checked((int)table.ConnectionTableSize),
            Timeouts = new TimeoutConfig
            {
                TcpEstablished = TimeSpan.FromSeconds(timeouts.Tcp),
                TcpFinWait = TimeSpan.FromSeconds(timeouts.TcpFin),
                Udp = TimeSpan.FromSeconds(timeouts.Udp),
            },
            Services =
            [
                .. table.Services.Select(s =>
                {
                    var servers = s.Servers.Select(r => new ListedRealServer
                    {
                        Config = ToModel(r.Config),
                        Weight = r.Weight,
                        ActiveConnections = r.ActiveConnections,
                        InactiveConnections = r.InactiveConnections,
                        PersistentConnections = r.PersistentConnections,
                        Stats = ToModel(r.Stats),
                        Rates = ToModel(r.Rates),
                    }).ToArray();

                    // The service's configured servers are in the order they were added: the reverse of kernel order.
                    var config = ToModel(s.Config) with { RealServers = [.. servers.Reverse().Select(r => r.Config)] };
                    return new Listing.ListedService { Config = config, RealServers = [.. servers], Stats = ToModel(s.Stats), Rates = ToModel(s.Rates) };
                }),
            ],
        };
    }

    private static Counters ToMessage(ListingCounters c) => new()
    {
        Connections = c.Connections,
        InPackets = c.InPackets,
        OutPackets = c.OutPackets,
        InBytes = c.InBytes,
        OutBytes = c.OutBytes,
    };

    private static ListingCounters ToModel(Counters? c)
        => c is null ? default : new(c.Connections, c.InPackets, c.OutPackets, c.InBytes, c.OutBytes);

    private static ByteString AddressBytes(NetworkAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        return ByteString.CopyFrom(bytes[..address.WriteBytes(bytes)]);
    }

    private static NetworkAddress ToAddress(ByteString bytes, string field)
        => bytes.Length is 4 or 16
            ? NetworkAddress.FromBytes(bytes.Span)
            : throw new FormatException($"{field}: {bytes.Length} bytes; an address is 4 (IPv4) or 16 (IPv6) bytes");

    private static ushort ToPort(uint port, string field)
        => port <= ushort.MaxValue ? (ushort)port : throw new FormatException($"{field}: {port} is above 65535");

    private static int ToSeconds(uint seconds, string field)
        => seconds <= int.MaxValue ? (int)seconds : throw new FormatException($"{field}: {seconds} is too large");

    private static T Defined<T>(int value, string field)
        where T : struct, Enum
    {
        var result = (T)(object)value;
        return Enum.IsDefined(result) ? result : throw new FormatException($"{field}: {value} is not a known value");
    }
}
