using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancing.Agent.Network;

/// <summary>
/// Interface addresses over an rtnetlink socket (<c>NETLINK_ROUTE</c>): RTM_GETADDR dumps, RTM_NEWADDR, RTM_DELADDR.
/// The layouts are the kernel's uapi: <c>struct nlmsghdr</c> (16 bytes), <c>struct ifaddrmsg</c> (8 bytes), then
/// <c>struct rtattr</c> TLVs aligned to 4 bytes (include/uapi/linux/netlink.h, rtnetlink.h, if_addr.h).
/// </summary>
internal sealed partial class RouteNetlink : IDisposable
{
    private const int AfNetlink = 16;          // .NET maps 16 to AppleTalk, so the socket comes from libc.
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkRoute = 0;

    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmDelAddr = 21;
    private const ushort RtmGetAddr = 22;

    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFAck = 0x4;
    private const ushort NlmFDump = 0x300;
    private const ushort NlmFExcl = 0x200;
    private const ushort NlmFCreate = 0x400;

    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const ushort IfaFlags = 8;

    private const int HeaderLength = 16;
    private const int IfAddrMsgLength = 8;

    private readonly Socket _socket;
    private uint _sequence;

    private RouteNetlink(Socket socket) => _socket = socket;

    public static RouteNetlink Open()
    {
        var fd = NativeSocket(AfNetlink, SockRaw | SockCloexec, NetlinkRoute);
        if (fd < 0)
        {
            throw new AgentException($"cannot open an rtnetlink socket: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        }

        return new RouteNetlink(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }

    /// <summary>Every address of every interface (RTM_GETADDR with NLM_F_DUMP, AF_UNSPEC).</summary>
    public List<InterfaceAddress> GetAddresses()
    {
        var request = new byte[HeaderLength + IfAddrMsgLength];
        var sequence = WriteHeader(request, RtmGetAddr, NlmFRequest | NlmFDump);
        _socket.Send(request);

        var result = new List<InterfaceAddress>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = _socket.Receive(buffer);
            var offset = 0;
            while (offset + HeaderLength <= length)
            {
                var message = buffer.AsSpan(offset, length - offset);
                var messageLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(message);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
                var seq = BinaryPrimitives.ReadUInt32LittleEndian(message[8..]);
                if (messageLength < HeaderLength || messageLength > message.Length)
                {
                    throw new AgentException("rtnetlink: malformed reply to RTM_GETADDR");
                }

                if (seq == sequence)
                {
                    switch (type)
                    {
                        case NlmsgDone:
                            return result;
                        case NlmsgError:
                            var error = -BinaryPrimitives.ReadInt32LittleEndian(message[HeaderLength..]);
                            throw new AgentException($"rtnetlink: listing addresses failed: {Errno.Describe(error)}");
                        case RtmNewAddr:
                            if (ParseAddress(message[..messageLength]) is { } address)
                            {
                                result.Add(address);
                            }

                            break;
                    }
                }

                offset += Align(messageLength);
            }
        }
    }

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the interface; errno 0 on success.</summary>
    public int AddAddress(int interfaceIndex, IPAddress address, byte prefixLength, byte scope, uint flags)
        => Change(RtmNewAddr, NlmFCreate | NlmFExcl, interfaceIndex, address, prefixLength, scope, flags);

    /// <summary>Removes an address from the interface; errno 0 on success (EADDRNOTAVAIL when it is not there).</summary>
    public int DeleteAddress(int interfaceIndex, IPAddress address, byte prefixLength)
        => Change(RtmDelAddr, 0, interfaceIndex, address, prefixLength, 0, 0);

    public void Dispose() => _socket.Dispose();

    private int Change(ushort type, ushort extraFlags, int interfaceIndex, IPAddress address, byte prefixLength, byte scope, uint flags)
    {
        var bytes = address.GetAddressBytes();
        var attributeLength = Align(4 + bytes.Length);
        var request = new byte[HeaderLength + IfAddrMsgLength + (2 * attributeLength) + 8];
        var sequence = WriteHeader(request, type, (ushort)(NlmFRequest | NlmFAck | extraFlags));
        var ifa = request.AsSpan(HeaderLength);
        ifa[0] = (byte)(address.AddressFamily == AddressFamily.InterNetwork ? 2 : 10);
        ifa[1] = prefixLength;
        ifa[2] = (byte)flags;          // the low 8 flag bits; IFA_FLAGS carries all 32
        ifa[3] = scope;
        BinaryPrimitives.WriteInt32LittleEndian(ifa[4..], interfaceIndex);

        // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer on point-to-point links, otherwise the same.
        var offset = HeaderLength + IfAddrMsgLength;
        offset += WriteAttribute(request.AsSpan(offset), IfaLocal, bytes);
        offset += WriteAttribute(request.AsSpan(offset), IfaAddress, bytes);
        Span<byte> flagBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(flagBytes, flags);
        offset += WriteAttribute(request.AsSpan(offset), IfaFlags, flagBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)offset);
        _socket.Send(request.AsSpan(0, offset));
        return ReceiveAck(sequence);
    }

    private int ReceiveAck(uint sequence)
    {
        var buffer = new byte[8192];
        while (true)
        {
            var length = _socket.Receive(buffer);
            var offset = 0;
            while (offset + HeaderLength <= length)
            {
                var message = buffer.AsSpan(offset, length - offset);
                var messageLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(message);
                if (messageLength < HeaderLength)
                {
                    throw new AgentException("rtnetlink: malformed acknowledgement");
                }

                if (BinaryPrimitives.ReadUInt16LittleEndian(message[4..]) == NlmsgError && BinaryPrimitives.ReadUInt32LittleEndian(message[8..]) == sequence)
                {
                    return -BinaryPrimitives.ReadInt32LittleEndian(message[HeaderLength..]);
                }

                offset += Align(messageLength);
            }
        }
    }

    private static InterfaceAddress? ParseAddress(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength + IfAddrMsgLength)
        {
            return null;
        }

        var ifa = message[HeaderLength..];
        var family = ifa[0];
        var prefix = ifa[1];
        uint flags = ifa[2];
        var scope = ifa[3];
        var index = BinaryPrimitives.ReadInt32LittleEndian(ifa[4..]);
        IPAddress? local = null, address = null;
        var attributes = message[(HeaderLength + IfAddrMsgLength)..];
        while (attributes.Length >= 4)
        {
            var rtaLength = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var rtaType = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
            if (rtaLength < 4 || rtaLength > attributes.Length)
            {
                break;
            }

            var data = attributes[4..rtaLength];
            switch (rtaType)
            {
                case IfaLocal when data.Length is 4 or 16:
                    local = new IPAddress(data);
                    break;
                case IfaAddress when data.Length is 4 or 16:
                    address = new IPAddress(data);
                    break;
                case IfaFlags when data.Length >= 4:
                    flags = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    break;
            }

            attributes = attributes[Math.Min(Align(rtaLength), attributes.Length)..];
        }

        var chosen = local ?? address;
        return chosen is null || family is not (2 or 10) ? null : new InterfaceAddress(index, chosen, prefix, scope, flags);
    }

    private uint WriteHeader(Span<byte> request, ushort type, ushort flags)
    {
        var sequence = ++_sequence;
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(request[12..], 0);   // port id 0: the kernel fills it in
        return sequence;
    }

    private static int WriteAttribute(Span<byte> destination, ushort type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)(4 + data.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], type);
        data.CopyTo(destination[4..]);
        return Align(4 + data.Length);
    }

    private static int Align(int length) => (length + 3) & ~3;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int NativeSocket(int domain, int type, int protocol);
}
