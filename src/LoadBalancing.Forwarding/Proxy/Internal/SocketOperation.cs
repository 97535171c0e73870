using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> awaited as a <see cref="ValueTask{TResult}"/> of
/// <see cref="SocketError"/>: no allocation per operation, and failures (reset, refused, aborted by a close) are
/// values rather than exceptions, so the relay loops never throw on the hot path. One operation at a time.
/// </summary>
internal sealed class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private ManualResetValueTaskSourceCore<SocketError> _source;

    public SocketOperation()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Continuations run on the completing I/O thread; the relay does no blocking work in them.
        _source.RunContinuationsAsynchronously = false;
    }

    public ValueTask<SocketError> AcceptAsync(Socket listener)
    {
        AcceptSocket = null;
        return Start(listener, static (s, e) => s.AcceptAsync(e));
    }

    public ValueTask<SocketError> ConnectAsync(Socket socket, EndPoint remote)
    {
        SetBuffer(null, 0, 0);
        RemoteEndPoint = remote;
        return Start(socket, static (s, e) => s.ConnectAsync(e));
    }

    public ValueTask<SocketError> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return Start(socket, static (s, e) => s.ReceiveAsync(e));
    }

    public ValueTask<SocketError> SendAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return Start(socket, static (s, e) => s.SendAsync(e));
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e) => _source.SetResult(SocketError);

    private ValueTask<SocketError> Start(Socket socket, Func<Socket, SocketAsyncEventArgs, bool> operation)
    {
        _source.Reset();
        try
        {
            if (operation(socket, this))
            {
                return new ValueTask<SocketError>(this, _source.Version);
            }
        }
        catch (ObjectDisposedException)
        {
            // The other direction (or the idle sweeper) closed the socket between two operations.
            return new ValueTask<SocketError>(SocketError.OperationAborted);
        }
        catch (InvalidOperationException)
        {
            return new ValueTask<SocketError>(SocketError.OperationAborted);
        }
        catch (SocketException ex)
        {
            return new ValueTask<SocketError>(ex.SocketErrorCode);
        }

        return new ValueTask<SocketError>(SocketError);
    }
}
