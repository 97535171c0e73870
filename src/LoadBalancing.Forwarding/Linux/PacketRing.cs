using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// A <c>TPACKET_V2</c> receive ring mapped from a packet socket (Documentation/networking/packet_mmap.rst): fixed-size
/// frame slots, each with its own status word. The kernel copies a frame into the next free slot and sets
/// <c>TP_STATUS_USER</c>; we process every ready slot in place, in order, and hand each back with
/// <c>TP_STATUS_KERNEL</c> once its frame has been sent. No system call and no copy per frame; <c>poll()</c> only
/// when no slot is ready.
/// </summary>
/// <remarks>
/// <para>
/// Why V2 and not V3: a V3 ring hands frames over a block at a time, when the block is full or its retire timer
/// (at least 1 ms) expires. At moderate rates that adds up to a millisecond or two to every forwarded packet, and
/// each block then holds only about a millisecond of traffic, so a worker descheduled for longer than the ring has
/// blocks makes the kernel freeze the queue and drop frames (measured: 8 × 256 KiB blocks, drops and 150–200 ms p99
/// latency from TCP retransmissions in bench/dr-bench.sh on a busy 2-core machine). A V2 slot is ready the moment it
/// is filled; batches still form by themselves under load (every slot that is ready when the worker wakes).
/// </para>
/// <para>
/// Slots are sized for the interface MTU; a frame larger than its slot arrives truncated and is dropped as malformed.
/// </para>
/// </remarks>
internal sealed unsafe class PacketRing : IDisposable
{
    /// <summary>The most frames handed to the handler before it must flush them (the send batch's capacity).</summary>
    public const int MaxBatch = 256;

    private const int RingBytes = 8 << 20;      // 8 MiB per socket: 4 096 slots of 2 KiB for a 1 500-byte MTU
    private const int BlockSize = 1 << 16;      // 64 KiB blocks of whole slots (the kernel allocates per block)

    // struct tpacket2_hdr: tp_status 0, tp_len 4, tp_snaplen 8, tp_mac 12, tp_net 14, tp_sec 16, tp_nsec 20, ...
    private const int StatusOffset = 0;
    private const int LengthOffset = 4;
    private const int SnapLengthOffset = 8;
    private const int MacOffset = 12;
    private const uint StatusUser = 1;
    private const uint StatusKernel = 0;

    private readonly int _fd;
    private readonly byte* _base;
    private readonly nuint _length;
    private readonly int _frameSize;
    private readonly int _frameCount;
    private readonly byte*[] _pending = new byte*[MaxBatch];
    private int _next;

    private PacketRing(int fd, byte* address, nuint length, int frameSize, int frameCount)
    {
        _fd = fd;
        _base = address;
        _length = length;
        _frameSize = frameSize;
        _frameCount = frameCount;
    }

    /// <summary>Gets the number of frame slots.</summary>
    public int FrameCount => _frameCount;

    /// <summary>Gets the size of one slot, header included.</summary>
    public int FrameSize => _frameSize;

    /// <summary>
    /// Sets <c>PACKET_VERSION</c> and <c>PACKET_RX_RING</c> on a not yet bound socket and maps the ring, with slots
    /// big enough for a frame of <paramref name="mtu"/> bytes plus its Ethernet and VLAN headers.
    /// </summary>
    public static PacketRing Create(int fd, int mtu)
    {
        var version = LibC.TPACKET_V2;
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, &version, sizeof(int)) != 0)
        {
            throw Error("setsockopt(PACKET_VERSION, TPACKET_V2) failed");
        }

        // Header (32) + sockaddr_ll + alignment come to under 128 bytes before the MAC header.
        var frameSize = (int)Math.Max(2048u, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(Math.Max(mtu, 1500) + 18 + 128)));
        var blockSize = Math.Max(BlockSize, frameSize);
        var blockCount = Math.Max(RingBytes / blockSize, 1);
        var frameCount = blockSize / frameSize * blockCount;

        // struct tpacket_req: block_size, block_nr, frame_size, frame_nr.
        var request = stackalloc uint[4];
        request[0] = (uint)blockSize;
        request[1] = (uint)blockCount;
        request[2] = (uint)frameSize;
        request[3] = (uint)frameCount;
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, request, 4 * sizeof(uint)) != 0)
        {
            throw Error("setsockopt(PACKET_RX_RING) failed");
        }

        var length = (nuint)blockSize * (nuint)blockCount;
        var address = LibC.Mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (address == (void*)-1)
        {
            throw Error("mmap of the packet ring failed");
        }

        return new PacketRing(fd, (byte*)address, length, frameSize, frameCount);
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for a ready slot, then calls <paramref name="handler"/> for every
    /// ready slot in order (a writable span into the ring), at most <see cref="MaxBatch"/> of them, calls
    /// <see cref="IFrameHandler.EndBlock"/> (which sends what the handler queued) and returns the slots to the kernel.
    /// </summary>
    /// <returns>The number of slots handled; 0 on timeout.</returns>
    public int ProcessBatch<THandler>(ref THandler handler, int timeoutMs)
        where THandler : struct, IFrameHandler
    {
        if (!IsReady(_next))
        {
            var poll = new LibC.PollFd { Fd = _fd, Events = LibC.POLLIN | LibC.POLLERR };
            LibC.Poll(&poll, 1, timeoutMs);
            if (!IsReady(_next))
            {
                return 0;
            }
        }

        var count = 0;
        try
        {
            while (count < MaxBatch && IsReady(_next))
            {
                var slot = Slot(_next);
                _pending[count++] = slot;
                _next = _next + 1 == _frameCount ? 0 : _next + 1;
                var snapLength = *(uint*)(slot + SnapLengthOffset);
                var length = *(uint*)(slot + LengthOffset);
                var mac = *(ushort*)(slot + MacOffset);

                // A truncated frame (bigger than its slot) reaches the handler as a zero-length, i.e. malformed, frame.
                handler.Handle(new Span<byte>(slot + mac, snapLength == length ? (int)snapLength : 0));
            }
        }
        finally
        {
            // Even if a handler failed, the queued frames go out and the slots go back: a slot kept by user space
            // stops the ring once the kernel wraps around to it.
            handler.EndBlock();
            for (var i = 0; i < count; i++)
            {
                Volatile.Write(ref *(uint*)(_pending[i] + StatusOffset), StatusKernel);
            }
        }

        return count;
    }

    public void Dispose() => LibC.Munmap(_base, _length);

    private byte* Slot(int index) => _base + ((nint)index * _frameSize);

    private bool IsReady(int index) => (Volatile.Read(ref *(uint*)(Slot(index) + StatusOffset)) & StatusUser) != 0;

    private static SocketException Error(string message)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new SocketException(errno, $"{message}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
