using System.Buffers.Binary;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.Linux;

public sealed class NeighbourMessagesTests
{
    [Fact]
    public void DumpRequest_IsAnRtmGetNeighDumpOfEveryFamily()
    {
        // struct nlmsghdr { len 28, type RTM_GETNEIGH 30, flags REQUEST|DUMP 0x301, seq 7, pid 0 } + ndmsg (12 zero bytes).
        var expected = Convert.FromHexString("1C0000001E000103070000000000000000000000000000000000000000000000"[..56]);
        Assert.Equal(expected, NeighbourMessages.DumpRequest(7));
    }

    [Fact]
    public void Parse_NewNeighMessagesThenDone_ReturnsEntriesAndCompletes()
    {
        var datagram = Concat(
            NewNeigh(ifindex: 2, state: 0x02, [10, 77, 0, 21], [0x02, 0x77, 0, 0, 0, 0x15]),
            NewNeigh(ifindex: 2, state: 0x01, [10, 77, 0, 22], lladdr: null),
            NewNeigh(ifindex: 3, state: 0x04, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x21], [0x02, 0x77, 0, 0, 0, 0x16]),
            Header(3, 4, [0, 0, 0, 0]));
        var entries = new List<NeighbourEntry>();

        Assert.True(NeighbourMessages.Parse(datagram, entries, out var error));
        Assert.Equal(0, error);
        Assert.Equal(
            [
                new NeighbourEntry(2, NetworkAddress.Parse("10.77.0.21"), MacAddress.Parse("02:77:00:00:00:15"), NeighbourState.Reachable),
                new NeighbourEntry(2, NetworkAddress.Parse("10.77.0.22"), null, NeighbourState.Incomplete),
                new NeighbourEntry(3, NetworkAddress.Parse("2001:db8::21"), MacAddress.Parse("02:77:00:00:00:16"), NeighbourState.Stale),
            ],
            entries);
    }

    [Fact]
    public void Parse_WithoutDone_AsksForMore()
    {
        var entries = new List<NeighbourEntry>();
        Assert.False(NeighbourMessages.Parse(NewNeigh(2, 0x02, [10, 0, 0, 1], [1, 2, 3, 4, 5, 6]), entries, out _));
        Assert.Single(entries);
    }

    [Fact]
    public void Parse_ErrorMessage_CompletesWithTheErrno()
    {
        var entries = new List<NeighbourEntry>();
        Assert.True(NeighbourMessages.Parse(Header(2, 0, [0xF3, 0xFF, 0xFF, 0xFF]), entries, out var error)); // -13 EACCES
        Assert.Equal(-13, error);
    }

    [Fact]
    public void Parse_TruncatedMessage_CompletesWithAnErrorInsteadOfThrowing()
    {
        var message = NewNeigh(2, 0x02, [10, 0, 0, 1], [1, 2, 3, 4, 5, 6]);
        for (var length = 0; length < message.Length; length++)
        {
            var entries = new List<NeighbourEntry>();
            NeighbourMessages.Parse(message.AsSpan(0, length), entries, out _);
        }
    }

    private static byte[] NewNeigh(int ifindex, ushort state, byte[] dst, byte[]? lladdr)
    {
        var ndmsg = new byte[12];
        ndmsg[0] = (byte)(dst.Length == 4 ? 2 : 10);
        BinaryPrimitives.WriteInt32LittleEndian(ndmsg.AsSpan(4), ifindex);
        BinaryPrimitives.WriteUInt16LittleEndian(ndmsg.AsSpan(8), state);
        var body = Concat(ndmsg, Attribute(1, dst), lladdr is null ? [] : Attribute(2, lladdr));
        return Header(28, 0x2, body);
    }

    private static byte[] Attribute(ushort type, byte[] payload)
    {
        var attribute = new byte[(4 + payload.Length + 3) & ~3];
        BinaryPrimitives.WriteUInt16LittleEndian(attribute, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(attribute.AsSpan(2), type);
        payload.CopyTo(attribute, 4);
        return attribute;
    }

    private static byte[] Header(ushort type, ushort flags, byte[] body)
    {
        var message = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), flags);
        body.CopyTo(message, 16);
        return message;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
