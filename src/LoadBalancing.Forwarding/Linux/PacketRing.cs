using System.Runtime.InteropServices;
using System.Net.Sockets;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// A <c>TPACKET_V3</c> receive ring mapped from a packet socket (Documentation/networking/packet_mmap.rst): the
/// kernel fills fixed-size blocks with variable-length frames and hands a block to user space by setting
/// <c>TP_STATUS_USER</c> in its descriptor; we process every frame in place and hand the block back with
/// <c>TP_STATUS_KERNEL</c>. No system call and no copy per frame; <c>poll()</c> only when no block is ready.
/// </summary>
/// <remarks>
/// A block is handed over when full or when <c>tp_retire_blk_tov</c> expires, so at low packet rates the ring adds
/// up to that timeout of latency; it is set to 1 ms.
/// </remarks>
internal sealed unsafe class PacketRing : IDisposable
{
    public const int BlockSize = 1 << 18;   // 256 KiB: a multiple of the page size
    public const int BlockCount = 8;
    private const int FrameSize = 2048;     // only a sizing hint in V3; frames are packed back to back
    private const uint RetireBlockTimeoutMs = 1;

    // struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1 (block_status, num_pkts, offset_to_first_pkt ...).
    private const int BlockStatusOffset = 8;
    private const int BlockPacketCountOffset = 12;
    private const int BlockFirstPacketOffset = 16;

    // struct tpacket3_hdr: tp_next_offset 0, tp_sec 4, tp_nsec 8, tp_snaplen 12, tp_len 16, tp_status 20, tp_mac 24, tp_net 26.
    private const int PacketNextOffset = 0;
    private const int PacketSnapLength = 12;
    private const int PacketMacOffset = 24;
    private const uint StatusUser = 1;
    private const uint StatusKernel = 0;

    private readonly int _fd;
    private readonly byte* _base;
    private readonly nuint _length;
    private int _next;

    private PacketRing(int fd, byte* address, nuint length)
    {
        _fd = fd;
        _base = address;
        _length = length;
    }

    /// <summary>Sets <c>PACKET_VERSION</c> and <c>PACKET_RX_RING</c> on a not yet bound socket and maps the ring.</summary>
    public static PacketRing Create(int fd)
    {
        var version = LibC.TPACKET_V3;
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, &version, sizeof(int)) != 0)
        {
            throw Error("setsockopt(PACKET_VERSION, TPACKET_V3) failed");
        }

        // struct tpacket_req3: block_size, block_nr, frame_size, frame_nr, retire_blk_tov, sizeof_priv, feature_req_word.
        var request = stackalloc uint[7];
        request[0] = BlockSize;
        request[1] = BlockCount;
        request[2] = FrameSize;
        request[3] = BlockSize / FrameSize * BlockCount;
        request[4] = RetireBlockTimeoutMs;
        request[5] = 0;
        request[6] = 0;
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, request, 7 * sizeof(uint)) != 0)
        {
            throw Error("setsockopt(PACKET_RX_RING) failed");
        }

        var length = (nuint)BlockSize * BlockCount;
        var address = LibC.Mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (address == (void*)-1)
        {
            throw Error("mmap of the packet ring failed");
        }

        return new PacketRing(fd, (byte*)address, length);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for the next block, then calls <paramref name="handler"/> for each of
    /// its frames (a span into the ring, writable) and returns the block to the kernel.
    /// </summary>
    /// <returns>The number of frames handled; 0 on timeout.</returns>
    public int ProcessBlock<THandler>(ref THandler handler, int timeoutMs)
        where THandler : struct, IFrameHandler
    {
        var block = _base + ((nint)_next * BlockSize);
        var status = (uint*)(block + BlockStatusOffset);
        if ((Volatile.Read(ref *status) & StatusUser) == 0)
        {
            var poll = new LibC.PollFd { Fd = _fd, Events = LibC.POLLIN | LibC.POLLERR };
            LibC.Poll(&poll, 1, timeoutMs);
            if ((Volatile.Read(ref *status) & StatusUser) == 0)
            {
                return 0;
            }
        }

        var count = *(uint*)(block + BlockPacketCountOffset);
        var packet = block + *(uint*)(block + BlockFirstPacketOffset);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var snapLength = *(uint*)(packet + PacketSnapLength);
                var mac = *(ushort*)(packet + PacketMacOffset);
                handler.Handle(new Span<byte>(packet + mac, (int)snapLength));
                packet += *(uint*)(packet + PacketNextOffset);
            }
        }
        finally
        {
            // Even if a handler failed, the queued frames go out and the block goes back: a block kept by user
            // space would stop the ring once the kernel wraps around to it.
            handler.EndBlock();
            Volatile.Write(ref *status, StatusKernel);
            _next = (_next + 1) % BlockCount;
        }

        return (int)count;
    }

    public void Dispose() => LibC.Munmap(_base, _length);

    private static SocketException Error(string message)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SocketException(errno, $"{message}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
