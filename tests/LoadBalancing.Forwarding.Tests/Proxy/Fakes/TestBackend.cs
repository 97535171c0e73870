using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>
/// A TCP real server on a loopback address that identifies itself: every line "x\n" is answered with
/// "&lt;name&gt; x\n"; at the client's end of stream it answers "&lt;name&gt; bye &lt;bytes received&gt;\n" and closes.
/// It records every connection's peer and raw bytes (for PROXY header checks) and an event log.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentQueue<byte[]> _received = new();
    private readonly List<Task> _connections = [];
    private int _closed;
    private TaskCompletionSource _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TestBackend(string name, string address)
    {
        Name = name;
        _listener = new TcpListener(IPAddress.Parse(address), 0);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _acceptLoop = AcceptLoopAsync();
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public int Accepted { get; private set; }

    /// <summary>Gets "accept N" / "close N" in the order they happened.</summary>
    public IReadOnlyList<string> Events => [.. _events];

    /// <summary>Gets the raw bytes of every finished connection.</summary>
    public IReadOnlyList<byte[]> Received => [.. _received];

    public int Closed => Volatile.Read(ref _closed);

    /// <summary>Completes when at least <paramref name="count"/> connections have been closed by the client side.</summary>
    public async Task WaitClosedAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_connections)
            {
                if (Closed >= count)
                {
                    return;
                }

                signal = _closedSignal.Task;
            }

            await signal.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            int id;
            lock (_connections)
            {
                id = ++Accepted;
                _events.Enqueue($"accept {id}");
                _connections.Add(ServeAsync(client, id));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, int id)
    {
        using var _ = client;
        var stream = client.GetStream();
        var all = new List<byte>();
        var line = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                for (var i = 0; i < n; i++)
                {
                    all.Add(buffer[i]);
                    if (buffer[i] == (byte)'\n')
                    {
                        var text = Encoding.ASCII.GetString([.. line]);
                        line.Clear();
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{Name} {text}\n"), _stop.Token);
                    }
                    else
                    {
                        line.Add(buffer[i]);
                    }
                }
            }

            _received.Enqueue([.. all]);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{Name} bye {all.Count}\n"), _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _received.Enqueue([.. all]);
        }
        finally
        {
            lock (_connections)
            {
                _events.Enqueue($"close {id}");
                Interlocked.Increment(ref _closed);
                _closedSignal.TrySetResult();
                _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
