using System.Buffers.Binary;
using System.Net;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// Builds Ethernet frames for golden-frame tests, field by field as the RFCs lay them out (katran-style fluent
/// builder). Independent of the parser under test: it writes, never reads.
/// </summary>
internal sealed class FrameBuilder
{
    private byte[] _dstMac = Mac("02:77:00:00:00:02");
    private byte[] _srcMac = Mac("02:77:00:00:00:0a");
    private ushort? _etherType;
    private IPAddress _src = IPAddress.Parse("10.77.0.10");
    private IPAddress _dst = IPAddress.Parse("10.77.0.100");
    private byte _protocol = 6;
    private ushort _srcPort = 40000;
    private ushort _dstPort = 80;
    private byte _tcpFlags = 0x02;
    private byte[] _payload = [];
    private ushort _fragment;
    private bool _corruptChecksum;
    private byte _ihl = 5;
    private byte _tcpDataOffset = 5;
    private byte[] _ipv6Extension = [];
    private byte _ipv6ExtensionType;
    private byte[]? _icmp;

    public static byte[] Mac(string text) => [.. text.Split(':').Select(p => Convert.ToByte(p, 16))];

    public FrameBuilder Ethernet(string dst, string src) { _dstMac = Mac(dst); _srcMac = Mac(src); return this; }

    public FrameBuilder EtherType(ushort type) { _etherType = type; return this; }

    public FrameBuilder Ip(string src, string dst) { _src = IPAddress.Parse(src); _dst = IPAddress.Parse(dst); return this; }

    public FrameBuilder Tcp(ushort srcPort, ushort dstPort, byte flags = 0x02) { _protocol = 6; _srcPort = srcPort; _dstPort = dstPort; _tcpFlags = flags; return this; }

    public FrameBuilder Udp(ushort srcPort, ushort dstPort) { _protocol = 17; _srcPort = srcPort; _dstPort = dstPort; return this; }

    public FrameBuilder Protocol(byte protocol) { _protocol = protocol; return this; }

    /// <summary>
    /// Makes this an ICMP (IPv4) or ICMPv6 error of the given type/code quoting <paramref name="quoted"/> (an IP packet;
    /// at most its first <paramref name="quoteLength"/> bytes, as routers quote). Checksum left 0 (not checked).
    /// </summary>
    public FrameBuilder IcmpError(byte type, byte code, byte[] quoted, int quoteLength, bool v6 = false)
    {
        _protocol = v6 ? (byte)58 : (byte)1;
        var quote = quoted.AsSpan(0, Math.Min(quoteLength, quoted.Length));
        _icmp = new byte[8 + quote.Length];
        _icmp[0] = type;
        _icmp[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(_icmp.AsSpan(6), 1400); // next-hop MTU (RFC 1191) / low half of the IPv6 MTU
        quote.CopyTo(_icmp.AsSpan(8));
        return this;
    }

    /// <summary>The IP packet without the Ethernet header.</summary>
    public byte[] BuildIp() => Build()[14..];

    public FrameBuilder Payload(string text) { _payload = System.Text.Encoding.ASCII.GetBytes(text); return this; }

    /// <summary>IPv4 flags+offset word (MF = 0x2000, offset in 8-byte units).</summary>
    public FrameBuilder Fragment(ushort flagsAndOffset) { _fragment = flagsAndOffset; return this; }

    public FrameBuilder CorruptIPv4Checksum() { _corruptChecksum = true; return this; }

    public FrameBuilder IPv4HeaderLength(byte ihl) { _ihl = ihl; return this; }

    public FrameBuilder TcpDataOffset(byte words) { _tcpDataOffset = words; return this; }

    /// <summary>Adds one IPv6 extension header of the given type (0 hop-by-hop, 44 fragment, 60 dest options), 8 bytes.</summary>
    public FrameBuilder IPv6Extension(byte type) { _ipv6ExtensionType = type; _ipv6Extension = new byte[8]; return this; }

    public byte[] Build()
    {
        var l4 = BuildTransport();
        var v6 = _dst.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var ip = v6 ? BuildIPv6(l4) : BuildIPv4(l4);
        var frame = new byte[14 + ip.Length];
        _dstMac.CopyTo(frame, 0);
        _srcMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), _etherType ?? (ushort)(v6 ? 0x86DD : 0x0800));
        ip.CopyTo(frame, 14);
        return frame;
    }

    private byte[] BuildTransport()
    {
        byte[] l4;
        switch (_protocol)
        {
            case 6:
                l4 = new byte[20 + _payload.Length];
                BinaryPrimitives.WriteUInt16BigEndian(l4, _srcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), _dstPort);
                BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), 0x01020304); // seq
                l4[12] = (byte)(_tcpDataOffset << 4);
                l4[13] = _tcpFlags;
                BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 64240); // window
                _payload.CopyTo(l4, 20);
                break;
            case 17:
                l4 = new byte[8 + _payload.Length];
                BinaryPrimitives.WriteUInt16BigEndian(l4, _srcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), _dstPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
                _payload.CopyTo(l4, 8);
                break;
            case 1 or 58 when _icmp is not null:
                l4 = _icmp;
                break;
            default:
                l4 = [8, 0, 0, 0, 0, 1, 0, 1]; // e.g. an ICMP echo request header
                break;
        }

        return l4;
    }

    private byte[] BuildIPv4(byte[] l4)
    {
        var headerLength = Math.Max(_ihl, (byte)5) * 4;
        var ip = new byte[headerLength + l4.Length];
        ip[0] = (byte)(0x40 | _ihl);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), 0x1234); // identification
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), _fragment == 0 ? (ushort)0x4000 : _fragment); // DF unless fragmenting
        ip[8] = 64;
        ip[9] = _protocol;
        _src.GetAddressBytes().CopyTo(ip, 12);
        _dst.GetAddressBytes().CopyTo(ip, 16);
        var checksum = Checksum(ip.AsSpan(0, headerLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), _corruptChecksum ? (ushort)(checksum ^ 0x0101) : checksum);
        l4.CopyTo(ip, headerLength);
        return ip;
    }

    private byte[] BuildIPv6(byte[] l4)
    {
        var ip = new byte[40 + _ipv6Extension.Length + l4.Length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(ip.Length - 40));
        ip[6] = _ipv6Extension.Length > 0 ? _ipv6ExtensionType : _protocol;
        ip[7] = 64;
        _src.GetAddressBytes().CopyTo(ip, 8);
        _dst.GetAddressBytes().CopyTo(ip, 24);
        if (_ipv6Extension.Length > 0)
        {
            _ipv6Extension[0] = _protocol; // next header; length 0 = 8 bytes
            _ipv6Extension.CopyTo(ip, 40);
        }

        l4.CopyTo(ip, 40 + _ipv6Extension.Length);
        return ip;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | data[i + 1]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
