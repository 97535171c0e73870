using System.Net.Sockets;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// Sends one datagram on a connected UDP socket. A connected socket is what makes the kernel report an ICMP
/// port unreachable as ECONNREFUSED on the next receive; an unconnected one never sees it.
/// </summary>
internal sealed class UdpProbe(UdpProbeOptions options, TimeProvider timeProvider) : IHealthProbe
{
    public string Name => "udp";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToIPEndPoint(options.Port != 0 ? options.Port : target.Port);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var deadline = new ProbeDeadline(options.Timeout, timeProvider, cancellationToken);
        var buffer = new byte[65536];
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(options.Payload, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return buffer.AsSpan(0, received).StartsWith(options.ExpectedReplyPrefix.Span)
                ? ProbeResult.Up()
                : ProbeResult.Down($"UDP reply from {endPoint} does not match");
        }
        catch (SocketException ex)
        {
            // ConnectionRefused is the ICMP port unreachable, reported on the connected socket.
            return ProbeResult.Down($"UDP {endPoint}: {ex.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (deadline.IsExpired)
        {
            return options.RequireReply ? ProbeResult.Down($"UDP {endPoint}: no reply") : ProbeResult.Up();
        }
    }
}
