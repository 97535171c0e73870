using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Director.Host.Demo;

/// <summary>The demo's client: one HTTP request per connection to the virtual service, answered through the proxy forwarder.</summary>
internal sealed class VirtualServiceClient(IPEndPoint virtualService)
{
    private const string Marker = "hello from ";

    /// <summary>Sends one request; returns the answering real server's name, or <see langword="null"/> when it failed.</summary>
    public async Task<string?> SendAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(virtualService, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {virtualService}\r\nConnection: close\r\n\r\n"), cancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var response = await reader.ReadToEndAsync(cancellationToken);
            var at = response.LastIndexOf(Marker, StringComparison.Ordinal);
            return at < 0 ? null : response[(at + Marker.Length)..].Trim();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }
}
