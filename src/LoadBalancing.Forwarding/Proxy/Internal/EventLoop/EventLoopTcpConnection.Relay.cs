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
        var reads = 0;
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
                    sent = LibC.Send(target, data + d.Start, pending, LibC.MSG_NOSIGNAL);
                }

                if (sent < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EAGAIN)
                    {
                        d.Writable = false;
                        return false;
                    }

                    if (errno != LibC.EINTR)
                    {
                        Fail(errno);
                        return false;
                    }

                    continue;
                }

                Touch();
                d.Start += (int)sent;
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

            if (d.Eof)
            {
                if (!d.ShutDown)
                {
                    // Pass the FIN on; the other direction continues (half-close).
                    d.ShutDown = true;
                    _ = LibC.Shutdown(target, LibC.SHUT_WR);
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

            nint received;
            fixed (byte* data = d.Buffer)
            {
                received = LibC.Recv(source, data, d.Size, 0);
            }

            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EAGAIN)
                {
                    d.Readable = false;
                    return false;
                }

                if (errno != LibC.EINTR)
                {
                    Fail(errno);
                    return false;
                }

                continue;
            }

            if (received == 0)
            {
                d.Eof = true;
                TcpTableFeed.Fin(Table, in _key, _entry!, inbound);
                continue;
            }

            Touch();
            TcpTableFeed.Data(Table, in _key, _entry!, inbound, (int)received);
            d.End = (int)received;

            // A short read emptied the receive queue: the next data raises a new edge, so skip the read that would
            // only say EAGAIN. Not after a hang-up, whose end of stream (or error) is still to be read.
            if (received < d.Size && !d.HangUp)
            {
                d.Readable = false;
            }
        }
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
    }
}
