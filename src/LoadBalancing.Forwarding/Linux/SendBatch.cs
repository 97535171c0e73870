using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LoadBalancing.Forwarding.DirectRouting;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// Collects frames that live in the receive ring and sends them with one <c>sendmmsg()</c>: one system call per
/// batch of ring slots instead of one per frame. The frames must stay valid until <see cref="Flush"/>, which the ring
/// guarantees by flushing before it returns the slots to the kernel. Native arrays, so nothing moves or allocates.
/// </summary>
internal sealed unsafe class SendBatch : IDisposable
{
    private const int Capacity = 256;

    private readonly int _fd;
    private readonly int _interfaceIndex;
    private readonly LibC.MMsgHdr* _messages;
    private readonly LibC.IoVec* _vectors;
    private readonly SockAddrLinkLayer* _addresses;
    private int _count;

    public SendBatch(int fd, int interfaceIndex)
    {
        _fd = fd;
        _interfaceIndex = interfaceIndex;
        _messages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed(Capacity, (nuint)sizeof(LibC.MMsgHdr));
        _vectors = (LibC.IoVec*)NativeMemory.AllocZeroed(Capacity, (nuint)sizeof(LibC.IoVec));
        _addresses = (SockAddrLinkLayer*)NativeMemory.AllocZeroed(Capacity, (nuint)sizeof(SockAddrLinkLayer));
    }

    /// <summary>Queues a frame that is not in movable memory (the ring); returns the frames that failed if a flush was needed.</summary>
    public int Add(byte* frame, int length)
    {
        var failed = _count == Capacity ? Flush() : 0;
        var i = _count++;
        _vectors[i] = new LibC.IoVec { Base = frame, Length = (nuint)length };
        _addresses[i] = new SockAddrLinkLayer
        {
            Family = LibC.AF_PACKET,
            Protocol = BinaryPrimitives.ReverseEndianness(BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(frame + 12, 2))),
            InterfaceIndex = _interfaceIndex,
            AddressLength = MacAddress.Length,
        };
        new ReadOnlySpan<byte>(frame, MacAddress.Length).CopyTo(new Span<byte>(&_addresses[i].Address, 8));
        _messages[i] = new LibC.MMsgHdr
        {
            Name = &_addresses[i],
            NameLength = (uint)sizeof(SockAddrLinkLayer),
            Vectors = &_vectors[i],
            VectorCount = 1,
        };
        return failed;
    }

    /// <summary>Sends every queued frame; returns how many could not be sent.</summary>
    public int Flush()
    {
        var sent = 0;
        var failed = 0;
        while (sent < _count)
        {
            var n = LibC.SendMMsg(_fd, _messages + sent, (uint)(_count - sent), 0);
            if (n > 0)
            {
                sent += n;
                continue;
            }

            if (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
            {
                continue;
            }

            // The first remaining frame is refused (e.g. too big, no buffer space): skip it, keep the rest.
            failed++;
            sent++;
        }

        _count = 0;
        return failed;
    }

    public void Dispose()
    {
        NativeMemory.Free(_messages);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_addresses);
    }
}
