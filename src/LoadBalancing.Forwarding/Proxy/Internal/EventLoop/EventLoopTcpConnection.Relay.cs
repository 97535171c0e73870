using System.Buffers;
using System.Runtime.InteropServices;
using LoadBalancing.Forwarding.Linux;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <content>Relaying: one pooled buffer per direction, backpressure, half-close and the table feed.</content>
internal sealed unsafe partial class EventLoopTcpConnection
{
    /// <summary>Reads per direction and turn; then the connection yields to the loop's other connections.</summary>
    private const int ReadsPerTurn = 16;

    private Direction _upstream;
    private Direction _downstream;

    /// <summary>
    /// Moves bytes both ways until each direction is blocked: its source has nothing to read, or its target cannot
    /// take the pending chunk. A direction reads its next chunk only after the previous one was written, so a slow
    /// reader stops the proxy reading its writer (the target's <c>EPOLLOUT</c> resumes it) and memory stays at one
    /// buffer per direction.
    /// </summary>
    /// <remarks>
    /// The end of a stream costs no packet of its own when it can be avoided: after a short read from a source that
    /// reported a hang-up, the end of stream is read at once, and the last chunk is then sent with <c>MSG_MORE</c> so
    /// the FIN that follows leaves in the same segment. The direction that ends last is not shut down: both sockets
    /// are closed next, and a close sends the FIN itself (nothing is left unread on either).
    /// </remarks>
    private void Pump()
    {
        if (_phase != PhaseRelaying)
        {
            return;
        }

        var more = Move(ref _upstream, _clientFd, _backendFd, inbound: true);
        if (_phase != PhaseRelaying)
        {
            return;
        }

        more |= Move(ref _downstream, _backendFd, _clientFd, inbound: false);
        if (_phase != PhaseRelaying)
        {
            return;
        }

        if (_upstream.ShutDown && _downstream.ShutDown)
        {
            CloseGracefully();
        }
        else if (more)
        {
            // Still readable (edge-triggered: no new event will come for it): continue after the other connections.
            _ = _loop.Post(static s => ((EventLoopTcpConnection)s!).Pump(), this);
        }
    }

    /// <summary>One direction; returns <see langword="true"/> when it stopped with data still to read (turn over).</summary>
    private bool Move(ref Direction d, int source, int target, bool inbound)
    {
        ref var other = ref inbound ? ref _downstream : ref _upstream;
        var reads = 0;
        var stamped = false; // a chunk read in this call was stamped when read: its send needs no stamp of its own
        while (true)
        {
            var pending = d.End - d.Start;
            if (pending > 0)
            {
                if (!d.Writable)
                {
                    return false;
                }

                nint sent;
                fixed (byte* data = d.Buffer)
                {
                    // With the end of stream already read, the FIN follows at once: let it join this chunk.
                    sent = LibC.Send(target, data + d.Start, pending, d.Eof ? LibC.MSG_NOSIGNAL | LibC.MSG_MORE : LibC.MSG_NOSIGNAL);
                }

                if (sent < 0)
                {
                    var sendErrno = Marshal.GetLastPInvokeError();
                    if (sendErrno == LibC.EAGAIN)
                    {
                        d.Writable = false;
                        return false;
                    }

                    if (sendErrno != LibC.EINTR)
                    {
                        if (inbound && _headerLeft > 0)
                        {
                            // As the Sockets engine: the PROXY header did not reach the server.
                            _owner.Statistics.CountProxyHeaderError();
                            ProxyLog.ProxyHeaderFailed(_owner.Logger, _destination!, NativeTcp.ToSocketError(sendErrno));
                            AbortNow();
                        }
                        else
                        {
                            Fail(sendErrno);
                        }

                        return false;
                    }

                    continue;
                }

                if (!stamped)
                {
                    Touch(); // a send that waited for the peer to read (EPOLLOUT): active all along, not idle
                }

                d.Start += (int)sent;
                if (inbound)
                {
                    _headerLeft = Math.Max(0, _headerLeft - (int)sent);
                }

                if (d.Start == d.End)
                {
                    d.Start = d.End = 0;
                }
                else
                {
                    // A short write means the send buffer is full; EPOLLOUT tells when it drains.
                    d.Writable = false;
                    return false;
                }

                continue;
            }

            if (d.Error != 0)
            {
                // Found while reading ahead; the bytes read before it were passed on first, as without read-ahead.
                Fail(d.Error);
                return false;
            }

            if (d.Eof)
            {
                if (!d.ShutDown)
                {
                    // Pass the FIN on; the other direction continues (half-close). When the other direction has
                    // already ended, both sockets are closed next and the close sends this FIN.
                    d.ShutDown = true;
                    if (!other.ShutDown)
                    {
                        _ = LibC.Shutdown(target, LibC.SHUT_WR);
                    }
                }

                return false;
            }

            if (!d.Readable)
            {
                return false;
            }

            if (++reads > ReadsPerTurn)
            {
                return true;
            }

            var received = Receive(source, ref d, out var errno);
            if (received < 0)
            {
                if (errno == LibC.EAGAIN)
                {
                    d.Readable = false;
                    return false;
                }

                Fail(errno);
                return false;
            }

            if (received == 0)
            {
                d.Eof = true;
                TcpTableFeed.Fin(Table, in _key, _entry!, inbound);
                continue;
            }

            Touch();
            stamped = true;
            TcpTableFeed.Data(Table, in _key, _entry!, inbound, (int)received);
            d.End = (int)received;
            if (received == d.Size)
            {
                continue;
            }

            if (!d.HangUp)
            {
                // A short read emptied the receive queue: the next data raises a new edge, so skip the read that
                // would only say EAGAIN.
                d.Readable = false;
                continue;
            }

            // After a hang-up the end of stream (or an error) is still to be read: read it now, into the rest of the
            // buffer, so that the FIN can leave with this chunk.
            var tail = Receive(source, ref d, out errno);
            if (tail > 0)
            {
                TcpTableFeed.Data(Table, in _key, _entry!, inbound, (int)tail);
                d.End += (int)tail;
            }
            else if (tail == 0)
            {
                d.Eof = true;
                TcpTableFeed.Fin(Table, in _key, _entry!, inbound);
            }
            else if (errno == LibC.EAGAIN)
            {
                d.Readable = false;
            }
            else
            {
                d.Error = errno; // acted on once the chunk is passed on
            }
        }
    }

    /// <summary>
    /// One <c>recv</c> from <paramref name="source"/> into the free end of <paramref name="d"/>'s buffer (retried on
    /// <c>EINTR</c>): the byte count, 0 at the end of stream, or -1 with <paramref name="errno"/>.
    /// </summary>
    private static nint Receive(int source, ref Direction d, out int errno)
    {
        nint received;
        fixed (byte* data = d.Buffer)
        {
            do
            {
                received = LibC.Recv(source, data + d.End, d.Size - d.End, 0);
                errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
            while (errno == LibC.EINTR);
        }

        return received;
    }

    private void Fail(int errno)
    {
        ProxyLog.RelayFailed(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, NativeTcp.ToSocketError(errno));
        AbortNow();
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _owner.TimeProvider.GetTimestamp());

    private static void ReturnBuffer(ref Direction d)
    {
        if (d.Buffer is { } buffer)
        {
            d.Buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One direction of the relay: its buffer with the pending chunk, and what is known of its two sockets.</summary>
    private struct Direction
    {
        public byte[]? Buffer;
        public int Size;
        public int Start;
        public int End;

        /// <summary>The source may have data (or an end of stream, or an error) to read.</summary>
        public bool Readable;

        /// <summary>The source reported a hang-up or an error: read until the end of stream, never assume it drained.</summary>
        public bool HangUp;

        /// <summary>The target can take data.</summary>
        public bool Writable;

        /// <summary>The source ended its stream.</summary>
        public bool Eof;

        /// <summary>The end of stream was passed on to the target.</summary>
        public bool ShutDown;

        /// <summary>An error the source reported while the proxy read ahead (errno), acted on after the pending bytes.</summary>
        public int Error;
    }
}
