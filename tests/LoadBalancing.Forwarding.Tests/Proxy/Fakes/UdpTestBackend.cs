using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>A UDP real server that answers each datagram with "&lt;name&gt; &lt;payload&gt;" and records where it came from.</summary>
internal sealed class UdpTestBackend : IAsyncDisposable
{
    private readonly UdpClient _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentQueue<IPEndPoint> _peers = new();

    public UdpTestBackend(string name, string address)
    {
        Name = name;
        _socket = new UdpClient(new IPEndPoint(IPAddress.Parse(address), 0));
        EndPoint = (IPEndPoint)_socket.Client.LocalEndPoint!;
        _loop = LoopAsync();
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Gets the source endpoint of every datagram received, in order.</summary>
    public IReadOnlyList<IPEndPoint> Peers => [.. _peers];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var result = await _socket.ReceiveAsync(_stop.Token);
            _peers.Enqueue(result.RemoteEndPoint);
            var reply = Encoding.ASCII.GetBytes($"{Name} {Encoding.ASCII.GetString(result.Buffer)}");
            await _socket.SendAsync(reply, result.RemoteEndPoint, _stop.Token);
        }
    }
}
