using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>Sends HTTP requests through the virtual service, one connection each, and tallies who answered.</summary>
internal static class Traffic
{
    private const string Marker = "hello from ";

    /// <summary>Sends <paramref name="count"/> requests; every one must be answered (bounded by a 10 s timeout each).</summary>
    /// <returns>Answers per real server name.</returns>
    public static async Task<Dictionary<string, int>> SendAsync(IPEndPoint virtualService, int count)
    {
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = await SendOneAsync(virtualService);
            Assert.True(name is not null, $"request {i + 1} of {count} to {virtualService} got no answer from a real server");
            tally[name!] = tally.GetValueOrDefault(name!) + 1;
        }

        return tally;
    }

    public static async Task<string?> SendOneAsync(IPEndPoint virtualService)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(virtualService, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {virtualService}\r\nConnection: close\r\n\r\n"), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var response = await reader.ReadToEndAsync(timeout.Token);
            var at = response.LastIndexOf(Marker, StringComparison.Ordinal);
            return at < 0 ? null : response[(at + Marker.Length)..].Trim();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Picks a free TCP port on 127.0.0.1 for a virtual service, below the kernel's ephemeral range: a port from that
    /// range, free when picked, can be taken by any bind to port 0 or outgoing connection before the director listens
    /// on it (a Kestrel endpoint on 127.0.0.1:0 took one once, and the proxy's listener failed).
    /// </summary>
    public static IPEndPoint FreeVirtualService()
    {
        var below = EphemeralRangeStart();
        for (var attempt = 0; attempt < 100 && below > 11_000; attempt++)
        {
            var candidate = new IPEndPoint(IPAddress.Loopback, Random.Shared.Next(10_000, below));
            try
            {
                using var probe = new TcpListener(candidate);
                probe.Start();
                return candidate;
            }
            catch (SocketException)
            {
                // in use: try another
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return (IPEndPoint)listener.LocalEndpoint;
    }

    /// <summary>The first port of <c>net.ipv4.ip_local_port_range</c> (Linux), or 32 768.</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32_768;
        }
    }
}
