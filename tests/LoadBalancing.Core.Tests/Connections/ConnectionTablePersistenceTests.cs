using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTablePersistenceTests
{
    private static readonly TimeSpan P360 = TimeSpan.FromSeconds(360);

    [Fact]
    public void ProcessInbound_SameClient_SticksToTemplateServer()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, servers: [Server("10.0.0.1"), Server("10.0.0.2")]);

        var a = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        var b = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service);
        var other = t.In(Tcp("203.0.113.9", 40000, TcpFlags.Syn), service);

        // rr alone would alternate .2, .1, .2; the template keeps client .1 on .2.
        Assert.Equal(["10.0.0.2", "10.0.0.2", "10.0.0.1"], new[] { a, b, other }.Select(d => d.Destination!.Address.ToString()));
        Assert.Same(a.Connection!.Template, b.Connection!.Template);
        Assert.Equal((2, 0, 1), Counters(Dest(service, "10.0.0.2")));
        Assert.Equal(2, t.Table.TemplateCount);
    }

    [Fact]
    public void ProcessInbound_PersistenceMask24_SameSubnetSticks()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, prefixLength: 24, servers: [Server("10.0.0.1"), Server("10.0.0.2")]);

        var picks = new[] { "198.51.100.1", "198.51.100.200", "198.51.101.1" }
            .Select(c => t.In(Tcp(c, 40000, TcpFlags.Syn), service).Destination!.Address.ToString());

        Assert.Equal(["10.0.0.2", "10.0.0.2", "10.0.0.1"], picks);
        var template = t.Table.GetEntries().First(e => e.IsTemplate && e.DestinationAddress.ToString() == "10.0.0.2");
        Assert.Equal(("198.51.100.0", (ushort)0, (ushort)80, (ushort)80), (template.SourceAddress.ToString(), template.SourcePort, template.VirtualPort, template.DestinationPort));
        Assert.Equal("TCP", template.Protocol);
    }

    [Fact]
    public void ProcessInbound_WeightZeroServer_TemplateKeepsClient()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        service.SetWeight(Dest(service, "10.0.0.2"), 0);

        var again = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service);

        Assert.Equal("10.0.0.2", again.Destination!.Address.ToString());
    }

    [Fact]
    public void ProcessInbound_WeightZeroWithExpireQuiescentTemplate_Reschedules()
    {
        var t = new TestConnections(new ConnectionTableOptions { ExpireQuiescentTemplate = true });
        var service = t.Service(persistence: P360, servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        service.SetWeight(Dest(service, "10.0.0.2"), 0);

        var again = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service);

        Assert.Equal("10.0.0.1", again.Destination!.Address.ToString());

        // The old template is unhashed but still listed (ports 65535) and counted until its timer runs out.
        var stale = Assert.Single(t.Table.GetEntries(), e => e.IsTemplate && e.DestinationAddress.ToString() == "10.0.0.2");
        Assert.Equal((ushort)65535, stale.VirtualPort);
        Assert.Equal(1, Dest(service, "10.0.0.2").PersistentConnections);
    }

    [Fact]
    public void ProcessInbound_DeletedServer_BreaksPersistence()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.SetServers(service, Server("10.0.0.1"));

        var again = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service);

        Assert.Equal("10.0.0.1", again.Destination!.Address.ToString());
    }

    [Fact]
    public void ProcessInbound_OverloadedServer_TemplateStillUsed()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, servers: [Server("10.0.0.1"), Server("10.0.0.2", upper: 1)]);

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        Assert.True(Dest(service, "10.0.0.2").IsOverloaded);

        Assert.Equal("10.0.0.2", t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service).Destination!.Address.ToString());
    }

    [Fact]
    public void Expire_TemplateOutlivesItsConnectionsByPersistenceTimeout()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service); // SYN_RECV -> ESTABLISHED assures the template
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service); // CLOSE, 10 s

        t.Elapse(11);
        Assert.Equal((0, 0, 1), Counters(dest));
        Assert.Equal("ASSURED", Assert.Single(t.Table.GetEntries()).State);

        t.Elapse(348); // 359 s after the template's last restart
        Assert.Equal(1, t.Table.TemplateCount);
        t.Elapse(1);
        Assert.Equal(0, t.Table.TemplateCount);
        Assert.Equal((0, 0, 0), Counters(dest));
    }

    [Fact]
    public void Expire_TemplateControllingEntries_ReArmedFor60Seconds()
    {
        // -p 70 with a UDP entry (300 s): the template falls due at 70 s while it controls the entry, so the
        // kernel re-arms it for 60 s at a time (130, 190, 250, 310) and it goes at 310 s, not 300 + 70.
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, persistence: TimeSpan.FromSeconds(70), servers: Server("10.0.0.1", port: 53));
        t.In(Udp("203.0.113.1", 5000), service);

        t.Elapse(305);
        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal(1, t.Table.TemplateCount);
        t.Elapse(5);
        Assert.Equal(0, t.Table.TemplateCount);
    }

    [Fact]
    public void ProcessInbound_FirewallMarkService_TemplateKeyedByMark()
    {
        var t = new TestConnections();
        var service = t.Service(persistence: P360, firewallMark: 7, servers: [Server("10.0.0.1", port: 0), Server("10.0.0.2", port: 0)]);

        var web = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn, port: 443), service);
        var dns = t.In(Udp("203.0.113.1", 5000, port: 53), service);

        Assert.Same(web.Connection!.Template, dns.Connection!.Template);
        Assert.Equal((ushort)443, web.DestinationPort); // server port 0 keeps the client's port
        Assert.Equal((ushort)53, dns.DestinationPort);
        var template = Assert.Single(t.Table.GetEntries(), e => e.IsTemplate);
        Assert.Equal(("IP", "0.0.0.7", (ushort)0, (ushort)0), (template.Protocol, template.VirtualAddress.ToString(), template.VirtualPort, template.DestinationPort));
    }

    [Fact]
    public void ProcessInbound_FtpService_TemplateUsesPortZero()
    {
        var t = new TestConnections();
        var service = t.Service(port: 21, persistence: P360, servers: Server("10.0.0.1", port: 21));

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn, port: 21), service);

        var template = Assert.Single(t.Table.GetEntries(), e => e.IsTemplate);
        Assert.Equal(((ushort)0, (ushort)0), (template.VirtualPort, template.DestinationPort));
    }

    [Fact]
    public void ProcessInbound_PortZeroService_KeepsClientPortAndSharesTemplate()
    {
        var t = new TestConnections();
        var service = t.Service(port: 0, persistence: P360, servers: [Server("10.0.0.1", port: 0), Server("10.0.0.2", port: 0)]);

        var http = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn, port: 80), service);
        var https = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn, port: 443), service);

        Assert.Same(http.Connection!.Template, https.Connection!.Template);
        Assert.Equal(((ushort)80, (ushort)443), (http.DestinationPort, https.DestinationPort));
    }
}
