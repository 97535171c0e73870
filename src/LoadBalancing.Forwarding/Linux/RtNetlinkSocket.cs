using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// A <c>NETLINK_ROUTE</c> socket. .NET has no netlink address family (<c>(AddressFamily)16</c> is AppleTalk there),
/// so the descriptor comes from libc and is wrapped in <see cref="SafeSocketHandle"/>; sending without an address
/// goes to the kernel (port id 0). Lives in the network namespace of the thread that creates it.
/// </summary>
internal sealed class RtNetlinkSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _sequence;

    public RtNetlinkSocket()
    {
        var fd = LibC.Socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SocketException(errno, $"socket(AF_NETLINK, NETLINK_ROUTE) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        _socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true)) { ReceiveTimeout = 2000 };
    }

    /// <summary>Reads the kernel's whole neighbour table (IPv4 ARP and IPv6 ND entries of every interface).</summary>
    public List<NeighbourEntry> DumpNeighbours()
    {
        var entries = new List<NeighbourEntry>();
        _socket.Send(NeighbourMessages.DumpRequest(++_sequence));
        while (true)
        {
            var n = _socket.Receive(_buffer);
            if (NeighbourMessages.Parse(_buffer.AsSpan(0, n), entries, out var error))
            {
                if (error != 0)
                {
                    throw new SocketException(-error, $"RTM_GETNEIGH dump failed (errno {-error})");
                }

                return entries;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
