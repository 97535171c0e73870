using System.Net;
using System.Net.Sockets;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>The TCP listener of one virtual service: accepts clients and hands each to a <see cref="TcpProxyConnection"/>.</summary>
internal sealed class TcpProxyListener : IProxyListener
{
    /// <summary>After an accept error other than a close (e.g. out of file descriptors), wait before the next accept instead of spinning.</summary>
    private static readonly TimeSpan AcceptErrorBackoff = TimeSpan.FromMilliseconds(50);

    private readonly ProxyForwarder _owner;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim? _slots;
    private Socket? _socket;

    public TcpProxyListener(ProxyForwarder owner, VirtualServiceKey key)
    {
        _owner = owner;
        Key = key;
        var max = owner.Options.MaxConnectionsPerService;
        _slots = max > 0 ? new SemaphoreSlim(max, max) : null;
    }

    public VirtualServiceKey Key { get; }

    public SocketError Start()
    {
        var socket = new Socket(Key.Family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(Key.Address.ToIPAddress(), Key.Port));
            socket.Listen(_owner.Options.ListenBacklog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return ex.SocketErrorCode;
        }

        _socket = socket;
        _ = AcceptLoopAsync(socket);
        return SocketError.Success;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _socket?.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        using var accept = new SocketOperation();
        var token = _stopping.Token; // read once: Stop disposes the source
        try
        {
            while (!token.IsCancellationRequested)
            {
                // maxconn: take a slot before accepting, so at the limit clients wait in the kernel's backlog.
                if (_slots is not null && !_slots.Wait(0))
                {
                    _owner.Statistics.CountLimitWait();
                    await _slots.WaitAsync(token).ConfigureAwait(false);
                }

                var error = await accept.AcceptAsync(listener).ConfigureAwait(false);
                if (error != SocketError.Success)
                {
                    _slots?.Release();
                    if (token.IsCancellationRequested || error == SocketError.OperationAborted)
                    {
                        break;
                    }

                    _owner.Statistics.CountAcceptError();
                    ProxyLog.AcceptFailed(_owner.Logger, Key, error);
                    await Task.Delay(AcceptErrorBackoff, _owner.TimeProvider, token).ConfigureAwait(false);
                    continue;
                }

                var client = accept.AcceptSocket!;
                accept.AcceptSocket = null;
                if (!_owner.Services.TryGetService(Key, out var service))
                {
                    // Removed between the change and this accept: refuse as a closed port would.
                    TcpProxyConnection.Reset(client);
                    _slots?.Release();
                    continue;
                }

                TcpProxyConnection connection;
                try
                {
                    connection = new TcpProxyConnection(_owner, service, client, _slots);
                }
                catch (SocketException)
                {
                    // The client reset before we could set it up.
                    TcpProxyConnection.Reset(client);
                    _slots?.Release();
                    continue;
                }

                _owner.Statistics.CountTcpConnection();
                connection.Start();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for a slot or backing off.
        }
#pragma warning disable CA1031 // The loop runs detached; log instead of losing the exception.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.Unexpected(_owner.Logger, Key, ex);
        }
    }
}
