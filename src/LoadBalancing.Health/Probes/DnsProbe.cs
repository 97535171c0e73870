using System.Net.Sockets;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// Sends one DNS query over UDP and is up when a reply with the same ID, QR set and RCODE 0 (NOERROR) comes
/// back, as keepalived's <c>DNS_CHECK</c>. Datagrams with another ID are ignored, as stray replies.
/// </summary>
internal sealed class DnsProbe(DnsProbeOptions options, TimeProvider timeProvider) : IHealthProbe
{
    public string Name => "dns";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToIPEndPoint(options.Port != 0 ? options.Port : target.Port);
        var query = new byte[DnsMessage.HeaderLength + 256 + 4];
        var id = (ushort)Random.Shared.Next(0, 65536);
        var length = DnsMessage.WriteQuery(query, id, options.Name, options.QueryType);
        if (length < 0)
        {
            return ProbeResult.Down($"DNS name '{options.Name}' is not valid");
        }

        using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var deadline = new ProbeDeadline(options.Timeout, timeProvider, cancellationToken);
        var buffer = new byte[4096];
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(query.AsMemory(0, length), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (DnsMessage.CheckReply(buffer.AsSpan(0, received), id, options.RequireAnswer) is { } result)
                {
                    return result;
                }
            }
        }
        catch (SocketException ex)
        {
            return ProbeResult.Down($"DNS {endPoint}: {ex.SocketErrorCode}");
        }
        catch (OperationCanceledException) when (deadline.IsExpired)
        {
            return ProbeResult.Down($"DNS {endPoint}: no reply");
        }
    }
}
