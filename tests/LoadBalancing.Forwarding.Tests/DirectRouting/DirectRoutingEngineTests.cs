using System.Collections.Immutable;
using CsCheck;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

public sealed class DirectRoutingEngineTests : IDisposable
{
    private const string DirectorMac = "02:77:00:00:00:02";
    private const string ClientMac = "02:77:00:00:00:0a";

    private readonly ServiceTable _services = new(SchedulerRegistry.Default, new FakeTimeProvider());
    private readonly ConnectionTable _connections = new(new FakeTimeProvider());
    private readonly NeighbourCache _neighbours = new();
    private readonly DirectRoutingEngine _engine;

    public DirectRoutingEngineTests()
    {
        _engine = new DirectRoutingEngine(_services, _connections, _neighbours, MacAddress.Parse(DirectorMac));
        for (var i = 1; i <= 3; i++)
        {
            _neighbours.Set(NetworkAddress.Parse($"10.77.0.2{i}"), MacAddress.Parse($"02:77:00:00:00:{0x14 + i:x2}"));
        }

        _neighbours.Set(NetworkAddress.Parse("2001:db8::21"), MacAddress.Parse("02:77:00:00:00:15"));
    }

    public void Dispose() => _neighbours.Dispose();

    [Fact]
    public void Process_IPv4TcpSyn_RewritesOnlyTheMacAddresses()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));

        // Hand-assembled (RFC 791/793 layout, header checksum 0x1395 computed separately): 02:77:00:00:00:0a →
        // director, 10.77.0.10:40000 → 10.77.0.100:80, SYN.
        var frame = Convert.FromHexString("02770000000202770000000a08004500002812344000400613950a4d000a0a4d00649c40005001020304000000005002faf000000000");
        Assert.Equal(frame, new FrameBuilder().Build());
        var expected = (byte[])frame.Clone();
        FrameBuilder.Mac("02:77:00:00:00:15").CopyTo(expected, 0);
        FrameBuilder.Mac(DirectorMac).CopyTo(expected, 6);

        var verdict = _engine.Process(frame);

        Assert.Equal(DirectRoutingVerdict.Forward, verdict);
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Process_ForwardedSyn_CountsConnectionPacketAndIpBytesOnServerAndService()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        var frame = new FrameBuilder().Payload("hello").Build();

        _engine.Process(frame);

        var service = _services.Services[0];
        var server = service.Destinations[0];
        Assert.Equal((1L, 1L, 45L), (server.Statistics.Connections, server.Statistics.InPackets, server.Statistics.InBytes));
        Assert.Equal((1L, 1L, 45L), (service.Statistics.Connections, service.Statistics.InPackets, service.Statistics.InBytes));
        Assert.Equal(1, _engine.Statistics.Forwarded);
    }

    [Fact]
    public void Process_LaterSegmentsOfAConnection_GoToTheSameServer()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1), ("10.77.0.22", 1), ("10.77.0.23", 1)));
        var syn = new FrameBuilder().Tcp(40000, 80, 0x02).Build();
        _engine.Process(syn);
        var chosen = syn[..6];

        for (var i = 0; i < 5; i++)
        {
            var ack = new FrameBuilder().Tcp(40000, 80, 0x10).Payload($"data{i}").Build();
            Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(ack));
            Assert.Equal(chosen, ack[..6]);
        }
    }

    [Fact]
    public void Process_AckWithoutConnection_IsNotScheduledAndUnchanged()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        var frame = new FrameBuilder().Tcp(40000, 80, 0x10).Build();
        var original = (byte[])frame.Clone();

        Assert.Equal(DirectRoutingVerdict.NotScheduled, _engine.Process(frame));
        Assert.Equal(original, frame);
    }

    [Fact]
    public void Process_WrrWeights_SplitNewConnectionsExactlyPerCycle()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "wrr", ("10.77.0.21", 3), ("10.77.0.22", 2), ("10.77.0.23", 1)));
        var counts = new Dictionary<string, int>();
        for (ushort port = 1024; port < 1024 + 600; port++)
        {
            var frame = new FrameBuilder().Tcp(port, 80).Build();
            Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(frame));
            var mac = Convert.ToHexString(frame, 0, 6);
            counts[mac] = counts.GetValueOrDefault(mac) + 1;
        }

        Assert.Equal(300, counts["027700000015"]);
        Assert.Equal(200, counts["027700000016"]);
        Assert.Equal(100, counts["027700000017"]);
    }

    [Fact]
    public void Process_WeightZeroServer_GetsNoNewConnectionsButKeepsItsOpenOne()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1), ("10.77.0.22", 1)));
        var rs1 = _services.Services[0].FindDestination(NetworkAddress.Parse("10.77.0.21"), 80)!;
        ushort openPort = 0;
        for (ushort port = 2000; openPort == 0; port++)
        {
            var frame = new FrameBuilder().Tcp(port, 80).Build();
            _engine.Process(frame);
            if (Convert.ToHexString(frame, 0, 6) == "027700000015")
            {
                openPort = port;
            }
        }

        _services.SetWeight(rs1, 0);

        for (ushort port = 3000; port < 3010; port++)
        {
            var frame = new FrameBuilder().Tcp(port, 80).Build();
            _engine.Process(frame);
            Assert.Equal("027700000016", Convert.ToHexString(frame, 0, 6));
        }

        var ack = new FrameBuilder().Tcp(openPort, 80, 0x10).Build();
        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(ack));
        Assert.Equal("027700000015", Convert.ToHexString(ack, 0, 6));
    }

    [Fact]
    public void Process_IPv6TcpSyn_RewritesOnlyTheMacAddresses()
    {
        Apply(Service(ServiceProtocol.Tcp, "2001:db8::100", 443, "rr", ("2001:db8::21", 1)));
        var frame = new FrameBuilder().Ip("2001:db8::10", "2001:db8::100").Tcp(50000, 443).Build();
        var expected = new FrameBuilder().Ethernet("02:77:00:00:00:15", DirectorMac).Ip("2001:db8::10", "2001:db8::100").Tcp(50000, 443).Build();

        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(frame));
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Process_IPv6WithHopByHopHeader_IsForwarded()
    {
        Apply(Service(ServiceProtocol.Udp, "2001:db8::100", 53, "rr", ("2001:db8::21", 1)));
        var frame = new FrameBuilder().Ip("2001:db8::10", "2001:db8::100").IPv6Extension(0).Udp(5353, 53).Payload("q").Build();
        var expected = new FrameBuilder().Ethernet("02:77:00:00:00:15", DirectorMac).Ip("2001:db8::10", "2001:db8::100").IPv6Extension(0).Udp(5353, 53).Payload("q").Build();

        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(frame));
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Process_IPv4Udp_IsForwarded()
    {
        Apply(Service(ServiceProtocol.Udp, "10.77.0.100", 53, "rr", ("10.77.0.22", 1)));
        var frame = new FrameBuilder().Udp(5353, 53).Payload("query").Build();
        var expected = new FrameBuilder().Ethernet("02:77:00:00:00:16", DirectorMac).Udp(5353, 53).Payload("query").Build();

        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(frame));
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Process_PortZeroPersistentService_CatchesEveryPort()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 0, "rr", ("10.77.0.21", 0)) with { PersistenceTimeout = TimeSpan.FromSeconds(60), RealServers = [Server("10.77.0.21", 1, 0)] });
        var frame = new FrameBuilder().Tcp(40000, 8443).Build();

        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(frame));
        Assert.Equal("027700000015", Convert.ToHexString(frame, 0, 6));
    }

    public static TheoryData<string, ushort, DirectRoutingVerdict> Fragments => new()
    {
        { "first fragment (MF)", 0x2000, DirectRoutingVerdict.Fragment },
        { "last fragment (offset 185)", 185, DirectRoutingVerdict.Fragment },
        { "middle fragment", 0x2000 | 185, DirectRoutingVerdict.Fragment },
    };

    [Theory]
    [MemberData(nameof(Fragments))]
    public void Process_IPv4Fragment_IsCountedAndDropped(string description, ushort flagsAndOffset, DirectRoutingVerdict expected)
    {
        _ = description;
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        var frame = new FrameBuilder().Fragment(flagsAndOffset).Build();
        var original = (byte[])frame.Clone();

        Assert.Equal(expected, _engine.Process(frame));
        Assert.Equal(original, frame);
        Assert.Equal(1, _engine.Statistics.Fragments);
    }

    [Fact]
    public void Process_IPv6FragmentHeader_IsCountedAndDropped()
    {
        Apply(Service(ServiceProtocol.Udp, "2001:db8::100", 53, "rr", ("2001:db8::21", 1)));
        var frame = new FrameBuilder().Ip("2001:db8::10", "2001:db8::100").IPv6Extension(44).Udp(5353, 53).Build();

        Assert.Equal(DirectRoutingVerdict.Fragment, _engine.Process(frame));
        Assert.Equal(1, _engine.Statistics.Fragments);
    }

    [Fact]
    public void Process_EveryTruncationOfAValidFrame_IsMalformedAndUnchanged()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        foreach (var v6 in new[] { false, true })
        {
            var builder = new FrameBuilder().Payload("abc");
            if (v6)
            {
                builder.Ip("2001:db8::10", "2001:db8::100");
            }

            var full = builder.Build();
            for (var length = 0; length < full.Length; length++)
            {
                var frame = full[..length];
                var copy = (byte[])frame.Clone();
                Assert.Equal(DirectRoutingVerdict.Malformed, _engine.Process(frame));
                Assert.Equal(copy, frame);
            }
        }
    }

    [Fact]
    public void Process_BadIPv4HeaderChecksum_IsMalformed()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        Assert.Equal(DirectRoutingVerdict.Malformed, _engine.Process(new FrameBuilder().CorruptIPv4Checksum().Build()));
    }

    [Fact]
    public void Process_IPv4HeaderLengthBelowFive_IsMalformed()
    {
        Assert.Equal(DirectRoutingVerdict.Malformed, _engine.Process(new FrameBuilder().IPv4HeaderLength(4).Build()));
    }

    [Fact]
    public void Process_TcpDataOffsetBelowFive_IsMalformed()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        Assert.Equal(DirectRoutingVerdict.Malformed, _engine.Process(new FrameBuilder().TcpDataOffset(4).Build()));
        Assert.Equal(1, _engine.Statistics.Malformed);
    }

    [Fact]
    public void Process_Icmp_IsUnsupportedProtocol()
    {
        Assert.Equal(DirectRoutingVerdict.UnsupportedProtocol, _engine.Process(new FrameBuilder().Protocol(1).Build()));
        Assert.Equal(1, _engine.Statistics.UnsupportedProtocol);
    }

    [Fact]
    public void Process_ArpEtherType_IsNotIp()
    {
        Assert.Equal(DirectRoutingVerdict.NotIp, _engine.Process(new FrameBuilder().EtherType(0x0806).Build()));
    }

    [Fact]
    public void Process_FrameForAnotherMac_IsNotForDirectorAndUnchanged()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));

        // Our own forwarded frame, flooded back by the bridge: forwarding it again would duplicate the packet.
        var frame = new FrameBuilder().Ethernet("02:77:00:00:00:15", DirectorMac).Build();
        var original = (byte[])frame.Clone();

        Assert.Equal(DirectRoutingVerdict.NotForDirector, _engine.Process(frame));
        Assert.Equal(original, frame);
    }

    [Fact]
    public void Process_UnknownVirtualAddress_IsNoService()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        Assert.Equal(DirectRoutingVerdict.NoService, _engine.Process(new FrameBuilder().Ip("10.77.0.10", "10.77.0.101").Build()));
        Assert.Equal(DirectRoutingVerdict.NoService, _engine.Process(new FrameBuilder().Tcp(40000, 81).Build()));
    }

    [Fact]
    public void Process_AllWeightsZero_IsNoDestination()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 0)));
        Assert.Equal(DirectRoutingVerdict.NoDestination, _engine.Process(new FrameBuilder().Build()));
    }

    [Fact]
    public void Process_NatServer_IsUnsupportedMethod()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)) with
        {
            RealServers = [Server("10.77.0.21", 1) with { Method = ForwardingMethod.Masquerade }],
        });
        Assert.Equal(DirectRoutingVerdict.UnsupportedMethod, _engine.Process(new FrameBuilder().Build()));
    }

    [Fact]
    public void Process_UnknownNeighbour_RequestsResolutionAndRetransmissionGoesToTheSameServer()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.29", 1)));
        var syn = new FrameBuilder().Build();

        Assert.Equal(DirectRoutingVerdict.NoNeighbour, _engine.Process(syn));
        Assert.Equal([NetworkAddress.Parse("10.77.0.29")], _neighbours.TakeWanted());

        _neighbours.Set(NetworkAddress.Parse("10.77.0.29"), MacAddress.Parse("02:77:00:00:00:1d"));
        var retransmitted = new FrameBuilder().Build();
        Assert.Equal(DirectRoutingVerdict.Forward, _engine.Process(retransmitted));
        Assert.Equal("02770000001D", Convert.ToHexString(retransmitted, 0, 6));
    }

    [Fact]
    public void Process_FragmentationNeededForAReply_IsRelayedToTheConnectionsServer()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1), ("10.77.0.22", 1), ("10.77.0.23", 1)));
        var syn = new FrameBuilder().Tcp(40000, 80).Build();
        _engine.Process(syn);
        var server = Convert.ToHexString(syn, 0, 6);

        // A router between the director's site and the client could not forward the real server's large reply
        // (VIP:80 → client:40000, DF set): it quotes the IP header plus 8 bytes back to the VIP, so to the director.
        var reply = new FrameBuilder().Ip("10.77.0.100", "10.77.0.10").Tcp(80, 40000, 0x10).Payload(new string('r', 1460)).BuildIp();
        var frame = new FrameBuilder().Ethernet(DirectorMac, "02:77:00:00:00:01").Ip("10.77.0.1", "10.77.0.100").IcmpError(3, 4, reply, 28).Build();
        var expected = (byte[])frame.Clone();
        Convert.FromHexString(server).CopyTo(expected, 0);
        FrameBuilder.Mac(DirectorMac).CopyTo(expected, 6);

        Assert.Equal(DirectRoutingVerdict.RelayIcmp, _engine.Process(frame));
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Process_IPv6PacketTooBigForAReply_IsRelayedToTheConnectionsServer()
    {
        Apply(Service(ServiceProtocol.Tcp, "2001:db8::100", 443, "rr", ("2001:db8::21", 1)));
        _engine.Process(new FrameBuilder().Ip("2001:db8::10", "2001:db8::100").Tcp(50000, 443).Build());
        var reply = new FrameBuilder().Ip("2001:db8::100", "2001:db8::10").Tcp(443, 50000, 0x10).Payload("reply").BuildIp();
        var frame = new FrameBuilder().Ip("2001:db8::1", "2001:db8::100").IcmpError(2, 0, reply, 48, v6: true).Build();

        Assert.Equal(DirectRoutingVerdict.RelayIcmp, _engine.Process(frame));
        Assert.Equal("027700000015", Convert.ToHexString(frame, 0, 6));
    }

    [Fact]
    public void Process_IcmpErrorWithoutConnection_IsNoServiceAndUnchanged()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        var reply = new FrameBuilder().Ip("10.77.0.100", "10.77.0.10").Tcp(80, 40001, 0x10).BuildIp();
        var frame = new FrameBuilder().Ip("10.77.0.1", "10.77.0.100").IcmpError(3, 4, reply, 28).Build();
        var original = (byte[])frame.Clone();

        Assert.Equal(DirectRoutingVerdict.NoService, _engine.Process(frame));
        Assert.Equal(original, frame);
    }

    [Fact]
    public void Process_IcmpErrorQuotingFewerThanEightPortBytes_IsMalformed()
    {
        var reply = new FrameBuilder().Ip("10.77.0.100", "10.77.0.10").Tcp(80, 40000, 0x10).BuildIp();
        var frame = new FrameBuilder().Ip("10.77.0.1", "10.77.0.100").IcmpError(3, 4, reply, 24).Build();

        Assert.Equal(DirectRoutingVerdict.Malformed, _engine.Process(frame));
    }

    [Theory]
    [InlineData(true, DirectRoutingVerdict.Forward)]
    [InlineData(false, DirectRoutingVerdict.Drop)]
    public void Process_SegmentOfAConnectionToARemovedServer_DrainsToItUnlessDisabled(bool drain, DirectRoutingVerdict expected)
    {
        var engine = new DirectRoutingEngine(_services, _connections, _neighbours, MacAddress.Parse(DirectorMac), drainRemovedServers: drain);
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1), ("10.77.0.22", 1)));
        var syn = new FrameBuilder().Tcp(40000, 80).Build();
        engine.Process(syn);
        var chosen = Convert.ToHexString(syn, 0, 6);
        var remaining = chosen == "027700000015" ? "10.77.0.22" : "10.77.0.21";
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", (remaining, 1)));

        var ack = new FrameBuilder().Tcp(40000, 80, 0x10).Payload("GET /").Build();
        var original = (byte[])ack.Clone();
        Assert.Equal(expected, engine.Process(ack));
        Assert.Equal(drain ? chosen : Convert.ToHexString(original, 0, 6), Convert.ToHexString(ack, 0, 6));

        // A new connection never goes to the removed server.
        var newSyn = new FrameBuilder().Tcp(40001, 80).Build();
        Assert.Equal(DirectRoutingVerdict.Forward, engine.Process(newSyn));
        Assert.NotEqual(chosen, Convert.ToHexString(newSyn, 0, 6));
    }

    [Fact]
    public void Process_RandomBytes_NeverThrowsAndCountsEveryFrame()
    {
        Apply(Service(ServiceProtocol.Tcp, "10.77.0.100", 80, "rr", ("10.77.0.21", 1)));
        var valid = new FrameBuilder().Payload("xyz").Build();

        // Random frames, and valid frames with random bytes overwritten (more likely to get deep into the parser).
        var mutated = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 4].Select(edits =>
        {
            var frame = (byte[])valid.Clone();
            foreach (var (index, value) in edits)
            {
                frame[index] = value;
            }

            return frame;
        });
        var before = _engine.Statistics.Received;
        var runs = 0;
        Gen.OneOf(Gen.Byte.Array[0, 200], mutated).Sample(frame =>
        {
            _engine.Process(frame);
            Interlocked.Increment(ref runs);
        }, iter: 2000, threads: 1);

        Assert.Equal(before + runs, _engine.Statistics.Received);
    }

    private void Apply(params VirtualServiceConfig[] services) => _services.Apply(new LoadBalancerConfig { Services = [.. services] });

    private static VirtualServiceConfig Service(ServiceProtocol protocol, string vip, ushort port, string scheduler, params (string Address, int Weight)[] servers) => new()
    {
        Key = VirtualServiceKey.ForAddress(protocol, NetworkAddress.Parse(vip), port),
        Scheduler = scheduler,
        RealServers = [.. servers.Select(s => Server(s.Address, s.Weight, port))],
    };

    private static RealServerConfig Server(string address, int weight, ushort port = 80)
        => new() { Address = NetworkAddress.Parse(address), Port = port, Weight = weight };
}
