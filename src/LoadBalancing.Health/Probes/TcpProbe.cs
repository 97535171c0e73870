using System.Net.Sockets;

namespace LoadBalancing.Health.Probes;

/// <summary>Up when a TCP connection is established, as keepalived's <c>TCP_CHECK</c>; the connection is closed at once.</summary>
internal sealed class TcpProbe(TcpProbeOptions options, TimeProvider timeProvider) : IHealthProbe
{
    public string Name => "tcp";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToIPEndPoint(options.Port != 0 ? options.Port : target.Port);
        using var deadline = new ProbeDeadline(options.ConnectTimeout, timeProvider, cancellationToken);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            if (options.AbortiveClose)
            {
                socket.LingerState = new LingerOption(true, 0);
            }

            return ProbeResult.Up();
        }
        catch (SocketException ex)
        {
            return ProbeResult.Down($"connect {endPoint}: {ex.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (deadline.IsExpired)
        {
            return ProbeResult.Down($"connect {endPoint}: timeout after {options.ConnectTimeout.TotalMilliseconds:0} ms");
        }
    }
}
