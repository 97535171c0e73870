using System.Net;
using LoadBalancing.Model;

namespace LoadBalancing.Health;

/// <summary>The address a probe checks: a real server's address and port.</summary>
/// <param name="Address">The real server's address.</param>
/// <param name="Port">The port to probe (keepalived <c>connect_port</c>); probes with a fixed port of their own ignore it.</param>
public readonly record struct ProbeTarget(NetworkAddress Address, ushort Port)
{
    /// <summary>Creates a target from an endpoint.</summary>
    /// <param name="endPoint">The endpoint.</param>
    /// <returns>The target.</returns>
    public static ProbeTarget FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new(NetworkAddress.FromIPAddress(endPoint.Address), checked((ushort)endPoint.Port));
    }

    /// <summary>Converts to an <see cref="IPEndPoint"/> (allocates).</summary>
    /// <returns>The endpoint.</returns>
    public IPEndPoint ToIPEndPoint() => new(Address.ToIPAddress(), Port);

    /// <summary>Converts to an <see cref="IPEndPoint"/> on another port (allocates).</summary>
    /// <param name="port">The port to use instead of <see cref="Port"/>.</param>
    /// <returns>The endpoint.</returns>
    public IPEndPoint ToIPEndPoint(int port) => new(Address.ToIPAddress(), port);

    /// <inheritdoc/>
    public override string ToString() => Address.IsIPv6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
