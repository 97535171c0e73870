using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>A real HTTP/1.1 server on a loopback address (port chosen by the kernel) that answers with its own name.</summary>
internal sealed class HttpRealServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _requests;

    public HttpRealServer(string name, string address, int port = 0)
    {
        Name = name;
        _listener = new TcpListener(IPAddress.Parse(address), port);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _loop = AcceptAsync();
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Gets the HTTP requests answered (health probes that only connect are not counted).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Starts three servers on 127.0.0.2, .3 and .4.</summary>
    public static HttpRealServer[] StartThree() => [new("rs1", "127.0.0.2"), new("rs2", "127.0.0.3"), new("rs3", "127.0.0.4")];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var received = 0;
                while (buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8) < 0)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(received), _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    received += n;
                }

                Interlocked.Increment(ref _requests);
                var body = $"hello from {Name}\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }
}
