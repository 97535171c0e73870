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
        var port = options.Port != 0 ? options.Port : target.Port;
        if (OperatingSystem.IsLinux() && !cancellationToken.IsCancellationRequested)
        {
            switch (LinuxTcpConnect.Start(target.Address, port, options.AbortiveClose, out var descriptor, out var error))
            {
                case LinuxTcpConnect.Outcome.Connected:
                    return ValueTask.FromResult(ProbeResult.Up());
                case LinuxTcpConnect.Outcome.Failed:
                    return ValueTask.FromResult(ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"connect {Format(target, port)}: {error}")));
                default:
                    return WaitForConnectionAsync(new Socket(new SafeSocketHandle(descriptor, ownsHandle: true)), target, port, cancellationToken);
            }
        }

        return ConnectAsync(target, port, cancellationToken);
    }

    private static string Format(ProbeTarget target, int port) => target.Address.IsIPv6 ? $"[{target.Address}]:{port}" : $"{target.Address}:{port}";

    private async ValueTask<ProbeResult> WaitForConnectionAsync(Socket socket, ProbeTarget target, int port, CancellationToken cancellationToken)
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
                return ProbeResult.Down($"connect {Format(target, port)}: {ex.SocketErrorCode}");
            }
            catch (OperationCanceledException) when (deadline.IsExpired)
            {
                return ProbeResult.Down($"connect {Format(target, port)}: timeout after {options.ConnectTimeout.TotalMilliseconds:0} ms");
            }
        }
    }

    private async ValueTask<ProbeResult> ConnectAsync(ProbeTarget target, int port, CancellationToken cancellationToken)
    {
        var endPoint = target.ToIPEndPoint(port);
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
