using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Director.Host.Demo;

/// <summary>A tiny HTTP/1.1 server on one loopback address that answers every request with its own name.</summary>
internal sealed class DemoRealServer(string name, IPEndPoint endpoint) : IAsyncDisposable
{
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public string Name { get; } = name;

    public IPEndPoint EndPoint { get; } = endpoint;

    public void Start()
    {
        _stop = new CancellationTokenSource();
        _listener = new TcpListener(EndPoint);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _loop = AcceptAsync(_listener, _stop.Token);
    }

    /// <summary>Stops listening: new connections are refused, as when the server process dies.</summary>
    public async Task KillAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener!.Stop();
        await _loop;
        _stop.Dispose();
        _stop = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var received = 0;

                // Read the request head; health probes connect and close without sending anything.
                while (received < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(received), cancellationToken);
                    if (n == 0)
                    {
                        return;
                    }

                    received += n;
                    if (buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }

                var body = $"hello from {Name}\n";
                var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), cancellationToken);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }
}
