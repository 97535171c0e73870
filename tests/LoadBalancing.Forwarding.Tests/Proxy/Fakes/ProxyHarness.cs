using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>A service table, a connection table on a frozen clock (entries never expire on their own) and a started proxy.</summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    public static readonly NetworkAddress Vip = NetworkAddress.Parse("127.0.0.1");

    public ProxyHarness(ProxyForwarderOptions? options = null, TimeProvider? proxyClock = null, ILogger<ProxyForwarder>? logger = null)
        : this(ProxyEngine.Auto, options, proxyClock, logger)
    {
    }

    /// <summary>A harness whose proxy relays TCP with <paramref name="engine"/> (skipped where the OS cannot run it).</summary>
    public ProxyHarness(ProxyEngine engine, ProxyForwarderOptions? options = null, TimeProvider? proxyClock = null, ILogger<ProxyForwarder>? logger = null)
    {
        ProxyEngines.SkipIfUnsupported(engine);
        options = (options ?? new ProxyForwarderOptions()) with { Engine = engine };
        Services = new ServiceTable(SchedulerRegistry.Default, TableClock);
        Connections = new ConnectionTable(TableClock);
        Forwarder = new ProxyForwarder(Services, Connections, options, logger, proxyClock);
        Forwarder.ConnectFailed += (_, e) => Failures.Enqueue(e);
    }

    public FakeTimeProvider TableClock { get; } = new();

    public ServiceTable Services { get; }

    public ConnectionTable Connections { get; }

    public ProxyForwarder Forwarder { get; }

    public ConcurrentQueue<ProxyConnectFailedEventArgs> Failures { get; } = new();

    /// <summary>A port that was free a moment ago on 127.0.0.1.</summary>
    public static ushort FreePort(ProtocolType protocol = ProtocolType.Tcp)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static RealServerConfig Server(IPEndPoint endPoint, int weight = 1, ForwardingMethod method = ForwardingMethod.Masquerade)
        => new() { Address = NetworkAddress.FromIPAddress(endPoint.Address), Port = (ushort)endPoint.Port, Weight = weight, Method = method };

    public static VirtualServiceConfig Service(ServiceProtocol protocol, ushort port, string scheduler, params RealServerConfig[] servers)
        => new()
        {
            Key = VirtualServiceKey.ForAddress(protocol, Vip, port),
            Scheduler = scheduler,
            RealServers = [.. servers],
        };

    public void Apply(params VirtualServiceConfig[] services)
        => Services.Apply(new LoadBalancerConfig { Services = [.. services] });

    /// <summary>Applies the services and starts the proxy.</summary>
    public VirtualServiceState Start(VirtualServiceConfig service)
    {
        Apply(service);
        Forwarder.Start();
        Assert.True(Services.TryGetService(service.Key, out var state));
        return state;
    }

    public ImmutableArray<ConnectionEntry> Entries() => [.. Connections.GetEntries().Where(e => !e.IsTemplate)];

    public async ValueTask DisposeAsync() => await Forwarder.DisposeAsync();
}
