using System.Buffers.Binary;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// Golden frames for what the forwarder must count and drop, never forward or throw on: inconsistent IPv4 and IPv6
/// headers and IP fragments, each built from a valid frame of a configured service with one field broken.
/// </summary>
public sealed class DirectRoutingEngineMalformedTests : IDisposable
{
    private const string DirectorMac = "02:77:00:00:00:02";

    private readonly ServiceTable _services = new(SchedulerRegistry.Default, new FakeTimeProvider());
    private readonly ConnectionTable _connections = new(new FakeTimeProvider());
    private readonly NeighbourCache _neighbours = new();
    private readonly DirectRoutingEngine _engine;

    public DirectRoutingEngineMalformedTests()
    {
        _engine = new DirectRoutingEngine(_services, _connections, _neighbours, MacAddress.Parse(DirectorMac));
        _neighbours.Set(NetworkAddress.Parse("10.77.0.21"), MacAddress.Parse("02:77:00:00:00:15"));
        _neighbours.Set(NetworkAddress.Parse("fd77::21"), MacAddress.Parse("02:77:00:00:00:15"));
        _services.Apply(new LoadBalancerConfig
        {
            Services =
            [
                Service(ServiceProtocol.Tcp, "10.77.0.100", "10.77.0.21"),
                Service(ServiceProtocol.Udp, "10.77.0.100", "10.77.0.21"),
                Service(ServiceProtocol.Tcp, "fd77::100", "fd77::21"),
                Service(ServiceProtocol.Udp, "fd77::100", "fd77::21"),
            ],
        });
    }

    public static TheoryData<string, string, DirectRoutingVerdict> Frames => new()
    {
        // IPv4 (IP header at offset 14).
        { "IPv4 version field 6 under EtherType IPv4", "v4:ver6", DirectRoutingVerdict.Malformed },
        { "IPv4 total length beyond the frame", "v4:total+1", DirectRoutingVerdict.Malformed },
        { "IPv4 total length shorter than its header", "v4:total=19", DirectRoutingVerdict.Malformed },
        { "IPv4 TCP header cut by the total length", "v4:total=30", DirectRoutingVerdict.Malformed },
        { "IPv4 UDP header cut by the total length", "v4udp:total=24", DirectRoutingVerdict.Malformed },
        { "IPv4 first fragment (MF) of a UDP datagram", "v4udp:frag=2000", DirectRoutingVerdict.Fragment },
        { "IPv4 last fragment of a UDP datagram", "v4udp:frag=00b9", DirectRoutingVerdict.Fragment },
        { "IPv4 reserved bit and DF, offset 0: no fragment", "v4:frag=c000", DirectRoutingVerdict.Forward },

        // IPv6 (fixed header at offset 14, extension headers from offset 54).
        { "IPv6 version field 4 under EtherType IPv6", "v6:ver4", DirectRoutingVerdict.Malformed },
        { "IPv6 payload length beyond the frame", "v6:payload+1", DirectRoutingVerdict.Malformed },
        { "IPv6 payload length 0 (jumbogram)", "v6:payload=0", DirectRoutingVerdict.Malformed },
        { "IPv6 TCP header cut by the payload length", "v6:payload=10", DirectRoutingVerdict.Malformed },
        { "IPv6 hop-by-hop header longer than the packet", "v6hbh:extlen=9", DirectRoutingVerdict.Malformed },
        { "IPv6 fragment header after a hop-by-hop header", "v6hbh:next=44", DirectRoutingVerdict.Fragment },
        { "IPv6 fragment header of a UDP datagram", "v6udpfrag", DirectRoutingVerdict.Fragment },
        { "IPv6 destination-options header then TCP", "v6dst", DirectRoutingVerdict.Forward },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void Process_BrokenOrFragmentedFrame_IsCountedAndLeftUnchanged(string description, string recipe, DirectRoutingVerdict expected)
    {
        _ = description;
        var frame = Build(recipe);
        var original = (byte[])frame.Clone();
        var before = _engine.Statistics[expected];

        var verdict = _engine.Process(frame);

        Assert.Equal(expected, verdict);
        Assert.Equal(before + 1, _engine.Statistics[expected]);
        if (expected == DirectRoutingVerdict.Forward)
        {
            Assert.Equal(original.AsSpan(12).ToArray(), frame.AsSpan(12).ToArray()); // forwarded: only the MACs differ
        }
        else
        {
            Assert.Equal(original, frame);
        }
    }

    private static byte[] Build(string recipe)
    {
        var v4 = () => new FrameBuilder().Payload("abcd");
        var v6 = () => new FrameBuilder().Ip("fd77::10", "fd77::100").Payload("abcd");
        switch (recipe)
        {
            case "v4:ver6":
                return Patch(v4().Build(), f => f[14] = 0x65);
            case "v4:total+1":
                return Patch(v4().Build(), f => SetIPv4Total(f, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(16)) + 1));
            case "v4:total=19":
                return Patch(v4().Build(), f => SetIPv4Total(f, 19));
            case "v4:total=30":
                return Patch(v4().Build(), f => SetIPv4Total(f, 30));
            case "v4udp:total=24":
                return Patch(v4().Udp(5353, 53).Build(), f => SetIPv4Total(f, 24));
            case "v4udp:frag=2000":
                return v4().Udp(5353, 53).Fragment(0x2000).Build();
            case "v4udp:frag=00b9":
                return v4().Udp(5353, 53).Fragment(0x00b9).Build();
            case "v4:frag=c000":
                return Patch(v4().Build(), f =>
                {
                    f[20] |= 0x80; // reserved bit next to DF
                    SetIPv4Total(f, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(16))); // same length, new checksum
                });
            case "v6:ver4":
                return Patch(v6().Build(), f => f[14] = 0x40);
            case "v6:payload+1":
                return Patch(v6().Build(), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(18), (ushort)(f.Length - 54 + 1)));
            case "v6:payload=0":
                return Patch(v6().Build(), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(18), 0));
            case "v6:payload=10":
                return Patch(v6().Build(), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(18), 10));
            case "v6hbh:extlen=9":
                return Patch(v6().IPv6Extension(0).Build(), f => f[55] = 9);
            case "v6hbh:next=44":
                return Patch(v6().IPv6Extension(0).Build(), f => f[54] = 44);
            case "v6udpfrag":
                return v6().Udp(5353, 53).IPv6Extension(44).Build();
            case "v6dst":
                return v6().IPv6Extension(60).Build();
            default:
                throw new ArgumentOutOfRangeException(nameof(recipe), recipe, null);
        }
    }

    private static byte[] Patch(byte[] frame, Action<byte[]> patch)
    {
        patch(frame);
        return frame;
    }

    /// <summary>Sets the IPv4 total length and recomputes the header checksum, so only the length is wrong.</summary>
    private static void SetIPv4Total(byte[] frame, int total)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)total);
        frame[24] = frame[25] = 0;
        uint sum = 0;
        for (var i = 14; i < 34; i += 2)
        {
            sum += (uint)(frame[i] << 8 | frame[i + 1]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), (ushort)~sum);
    }

    public void Dispose() => _neighbours.Dispose();

    private static VirtualServiceConfig Service(ServiceProtocol protocol, string vip, string server) => new()
    {
        Key = VirtualServiceKey.ForAddress(protocol, NetworkAddress.Parse(vip), protocol == ServiceProtocol.Tcp ? (ushort)80 : (ushort)53),
        Scheduler = "rr",
        RealServers = [new RealServerConfig { Address = NetworkAddress.Parse(server), Port = protocol == ServiceProtocol.Tcp ? (ushort)80 : (ushort)53 }],
    };
}
