using System.Globalization;
using System.Net.Sockets;

namespace LoadBalancing.Health.Probes;

/// <summary>Up when a TCP connection is established, as keepalived's <c>TCP_CHECK</c>; the connection is closed at once.</summary>
/// <remarks>
/// On Linux the connection is started with plain system calls (<see cref="LinuxTcpConnect"/>); a handshake that is
/// not over at once continues on a <see cref="Socket"/> wrapped around the same descriptor, whose zero-byte send
/// completes when the connection is established and fails as the connect would (refused, unreachable).
/// </remarks>
internal sealed class TcpProbe(TcpProbeOptions options, TimeProvider timeProvider) : IHealthProbe
{
    public string Name => "tcp";

    public ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        if (options.Port != 0)
        {
            target = target with { Port = options.Port };
        }

        if (OperatingSystem.IsLinux() && !cancellationToken.IsCancellationRequested)
        {
            switch (LinuxTcpConnect.Start(target.Address, target.Port, options.AbortiveClose, out var descriptor, out var error))
            {
                case LinuxTcpConnect.Outcome.Connected:
                    return ValueTask.FromResult(ProbeResult.Up());
                case LinuxTcpConnect.Outcome.Failed:
                    return ValueTask.FromResult(ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"connect {target}: {error}")));
                default:
                    return WaitForConnectionAsync(new Socket(new SafeSocketHandle(descriptor, ownsHandle: true)), target, cancellationToken);
            }
        }

        return ConnectAsync(target, cancellationToken);
    }

    private async ValueTask<ProbeResult> WaitForConnectionAsync(Socket socket, ProbeTarget target, CancellationToken cancellationToken)
    {
        using var deadline = new ProbeDeadline(options.ConnectTimeout, timeProvider, cancellationToken);
        using (socket)
        {
            try
            {
                await socket.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                return ProbeResult.Up();
            }
            catch (SocketException ex)
            {
                return ProbeResult.Down($"connect {target}: {ex.SocketErrorCode}");
            }
            catch (OperationCanceledException) when (deadline.IsExpired)
            {
                return ProbeResult.Down($"connect {target}: timeout after {options.ConnectTimeout.TotalMilliseconds:0} ms");
            }
        }
    }

    private async ValueTask<ProbeResult> ConnectAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToIPEndPoint();
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
