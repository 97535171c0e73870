using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using LoadBalancing.Forwarding.DirectRouting;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// An <c>AF_PACKET</c>/<c>SOCK_RAW</c> socket bound to one interface for all protocols (or one), with a classic BPF filter,
/// <c>PACKET_IGNORE_OUTGOING</c> and optionally a <c>PACKET_FANOUT</c> group. The descriptor is owned by a
/// <see cref="SafeSocketHandle"/>; the data path calls recv/sendto directly so a timeout is a return value, not
/// an exception.
/// </summary>
/// <remarks>
/// Order matters (packet(7), and seen on this kernel): the socket is created with protocol 0 so nothing is queued,
/// the filter is attached, and only then is it bound. Bound to <c>ETH_P_ALL</c>, the tap runs before tc ingress and
/// the netdev ingress hook, so an nftables drop rule for the virtual address there does not hide frames from us.
/// Bound to <c>ETH_P_IP</c> or <c>ETH_P_IPV6</c> (the tcx fast path), it runs after both, next to <c>ip_rcv</c>:
/// it sees only what the classifier passed and the netdev rule let through (frames marked <c>PACKET_OTHERHOST</c>,
/// which packet sockets receive and <c>ip_rcv</c> drops). The socket lives in the network namespace of the thread
/// that creates it.
/// </remarks>
internal sealed unsafe class PacketSocket : IDisposable
{
    private readonly SafeSocketHandle _handle;
    private readonly int _fd;

    private PacketSocket(int fd)
    {
        _fd = fd;
        _handle = new SafeSocketHandle(fd, ownsHandle: true);
    }

    public int InterfaceIndex { get; private set; }

    public MacAddress InterfaceMac { get; private set; }

    /// <summary>Gets the TPACKET_V2 receive ring, or <see langword="null"/> when frames are read with <see cref="Receive"/>.</summary>
    public PacketRing? Ring { get; private set; }

    /// <summary>Gets the descriptor, for batched sends (<see cref="SendBatch"/>); valid until <see cref="Dispose"/>.</summary>
    public int Descriptor => _fd;

    /// <param name="interfaceName">The interface to bind to.</param>
    /// <param name="filter">The classic filter attached before binding.</param>
    /// <param name="fanoutGroup">The <c>PACKET_FANOUT</c> group to join, or -1 for none.</param>
    /// <param name="receiveTimeout">How long a receive waits.</param>
    /// <param name="useRing">Whether to receive through a memory-mapped ring.</param>
    /// <param name="protocol">The EtherType to bind to (host order): <c>ETH_P_ALL</c>, <c>ETH_P_IP</c> or <c>ETH_P_IPV6</c>.</param>
    /// <param name="fanoutByCpu">
    /// Spread the group's frames by receiving CPU (<c>PACKET_FANOUT_CPU</c>) instead of by flow hash: no flow
    /// dissection per frame, but no flow affinity; for a slow path that sees only the first packet of most flows.
    /// </param>
    public static PacketSocket Open(string interfaceName, ReadOnlySpan<SockFilter> filter, int fanoutGroup, TimeSpan receiveTimeout, bool useRing, ushort protocol = LibC.ETH_P_ALL, bool fanoutByCpu = false)
    {
        var fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LastError($"socket(AF_PACKET, SOCK_RAW, 0) failed (CAP_NET_RAW is required)");
        }

        var socket = new PacketSocket(fd);
        try
        {
            (socket.InterfaceIndex, socket.InterfaceMac, var mtu) = QueryInterface(fd, interfaceName);
            socket.AttachFilter(filter);
            if (useRing)
            {
                socket.Ring = PacketRing.Create(fd, mtu);
            }

            // No PACKET_QDISC_BYPASS: it also bypasses the packet taps, so tcpdump on the director would no longer
            // show the forwarded frames (the wire test checks them there), for no measurable gain on veth.

            var address = new SockAddrLinkLayer
            {
                Family = LibC.AF_PACKET,
                Protocol = BinaryPrimitives.ReverseEndianness(protocol),
                InterfaceIndex = socket.InterfaceIndex,
            };
            if (LibC.Bind(fd, &address, sizeof(SockAddrLinkLayer)) != 0)
            {
                throw LastError($"bind(AF_PACKET, {interfaceName}) failed");
            }

            socket.SetInt(LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            var timeout = new TimeVal { Seconds = (long)receiveTimeout.TotalSeconds, Microseconds = receiveTimeout.Milliseconds * 1000L };
            if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, sizeof(TimeVal)) != 0)
            {
                throw LastError("setsockopt(SO_RCVTIMEO) failed");
            }

            if (fanoutGroup >= 0)
            {
                // A fanout group needs a bound socket; HASH keeps each flow on one worker (flow affinity). The group
                // replaces the socket's own tap, so PACKET_IGNORE_OUTGOING above no longer applies: the group's flag
                // keeps outgoing frames away (without it, every frame leaving the interface that the group did not
                // send itself, such as those the tcx fast path redirects, would be cloned and filtered for us).
                var type = (fanoutByCpu ? LibC.PACKET_FANOUT_CPU : LibC.PACKET_FANOUT_HASH) | LibC.PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
                socket.SetInt(LibC.SOL_PACKET, LibC.PACKET_FANOUT, (fanoutGroup & 0xFFFF) | (type << 16), "PACKET_FANOUT");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads and resets the kernel's counters of this socket (<c>PACKET_STATISTICS</c>): frames it delivered and
    /// frames it dropped because the receive ring or queue was full.
    /// </summary>
    /// <returns>The dropped frames since the last call; 0 if the counters cannot be read.</returns>
    public long ReadKernelDrops()
    {
        // struct tpacket_stats_v3 { tp_packets, tp_drops, tp_freeze_q_cnt } (the V1/V2 struct is its prefix).
        var stats = stackalloc uint[3];
        var length = 3 * sizeof(uint);
        return LibC.GetSockOpt(_fd, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, stats, &length) == 0 ? stats[1] : 0;
    }

    /// <summary>Replaces the filter on a live socket (the kernel swaps programs atomically).</summary>
    public void AttachFilter(ReadOnlySpan<SockFilter> filter)
    {
        fixed (SockFilter* instructions = filter)
        {
            var program = new SockFProg { Length = (ushort)filter.Length, Filter = instructions };
            if (LibC.SetSockOpt(_fd, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &program, sizeof(SockFProg)) != 0)
            {
                throw LastError("setsockopt(SO_ATTACH_FILTER) failed");
            }
        }
    }

    /// <summary>Receives one frame; returns its length, 0 on timeout or interruption, -1 when the socket is unusable.</summary>
    public int Receive(Span<byte> buffer)
    {
        fixed (byte* data = buffer)
        {
            var n = LibC.Recv(_fd, data, buffer.Length, 0);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno is LibC.EAGAIN or LibC.EINTR ? 0 : -1;
        }
    }

    /// <summary>Sends one complete Ethernet frame out of the bound interface.</summary>
    public bool Send(ReadOnlySpan<byte> frame)
    {
        var address = new SockAddrLinkLayer
        {
            Family = LibC.AF_PACKET,
            Protocol = BinaryPrimitives.ReverseEndianness(BinaryPrimitives.ReadUInt16BigEndian(frame[12..])),
            InterfaceIndex = InterfaceIndex,
            AddressLength = MacAddress.Length,
        };
        frame[..MacAddress.Length].CopyTo(new Span<byte>(&address.Address, 8));
        fixed (byte* data = frame)
        {
            return LibC.SendTo(_fd, data, frame.Length, 0, &address, sizeof(SockAddrLinkLayer)) == frame.Length;
        }
    }

    public void Dispose()
    {
        Ring?.Dispose();
        _handle.Dispose();
    }

    private static (int Index, MacAddress Mac, int Mtu) QueryInterface(int fd, string name)
    {
        var request = stackalloc byte[40];
        new Span<byte>(request, 40).Clear();
        var nameBytes = Encoding.ASCII.GetBytes(name);
        if (nameBytes.Length >= LibC.IFNAMSIZ)
        {
            throw new ArgumentException($"Interface name '{name}' is longer than {LibC.IFNAMSIZ - 1} characters.", nameof(name));
        }

        nameBytes.CopyTo(new Span<byte>(request, LibC.IFNAMSIZ));
        if (LibC.Ioctl(fd, LibC.SIOCGIFINDEX, request) != 0)
        {
            throw LastError($"interface '{name}' not found (SIOCGIFINDEX)");
        }

        var index = *(int*)(request + LibC.IFNAMSIZ);
        if (LibC.Ioctl(fd, LibC.SIOCGIFHWADDR, request) != 0)
        {
            throw LastError($"SIOCGIFHWADDR on '{name}' failed");
        }

        // ifr_hwaddr is a struct sockaddr: 2 bytes family, then the 6-byte MAC.
        var mac = MacAddress.Read(new ReadOnlySpan<byte>(request + LibC.IFNAMSIZ + 2, MacAddress.Length));
        if (LibC.Ioctl(fd, LibC.SIOCGIFMTU, request) != 0)
        {
            throw LastError($"SIOCGIFMTU on '{name}' failed");
        }

        return (index, mac, *(int*)(request + LibC.IFNAMSIZ));
    }

    private void SetInt(int level, int name, int value, string what)
    {
        if (LibC.SetSockOpt(_fd, level, name, &value, sizeof(int)) != 0)
        {
            throw LastError($"setsockopt({what}) failed");
        }
    }

    private static SocketException LastError(string message)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SocketException(errno, $"{message}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFProg
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }
}
