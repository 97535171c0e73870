using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>A line-oriented TCP client of the proxy.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;

    private TestClient(TcpClient client)
    {
        _client = client;
        _reader = new StreamReader(client.GetStream(), Encoding.ASCII);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_client.Client.LocalEndPoint!;

    public static async Task<TestClient> ConnectAsync(ushort port, CancellationToken cancellationToken)
    {
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        return new TestClient(client);
    }

    /// <summary>Sends "text\n" and returns the reply line (the backend's name first).</summary>
    public async Task<string> RequestAsync(string text, CancellationToken cancellationToken)
    {
        await SendAsync(text + "\n", cancellationToken);
        return await ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed before the reply");
    }

    public async Task SendAsync(string text, CancellationToken cancellationToken)
        => await _client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken) => await _reader.ReadLineAsync(cancellationToken);

    public void ShutdownSend() => _client.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until the proxy closes: <see langword="true"/> for a clean end of stream, <see langword="false"/> for a reset.</summary>
    public async Task<bool> ReadToEndAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _reader.ReadLineAsync(cancellationToken) is not null)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Half-closes, reads the rest and closes; returns the lines received.</summary>
    public async Task<List<string>> FinishAsync(CancellationToken cancellationToken)
    {
        ShutdownSend();
        var lines = new List<string>();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _client.Dispose();
    }
}
