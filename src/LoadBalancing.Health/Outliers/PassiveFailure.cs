using System.Net.Sockets;

namespace LoadBalancing.Health.Outliers;

/// <summary>What went wrong on a connection to a real server, as reported to <see cref="IPassiveHealthReporter"/>.</summary>
public enum PassiveFailure
{
    /// <summary>Any other failure (e.g. a 5xx answer or a failed call).</summary>
    Other,

    /// <summary>The connect was refused (RST to the SYN) or the server answered ICMP port unreachable.</summary>
    Refused,

    /// <summary>The connect or the answer did not come in time.</summary>
    Timeout,

    /// <summary>The connection was reset by the server.</summary>
    Reset,

    /// <summary>The server's network or host was unreachable.</summary>
    Unreachable,
}

/// <summary>Maps socket errors to <see cref="PassiveFailure"/>.</summary>
public static class PassiveFailures
{
    /// <summary>Classifies a socket error.</summary>
    /// <param name="error">The socket error.</param>
    /// <returns>The failure kind.</returns>
    public static PassiveFailure FromSocketError(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => PassiveFailure.Refused,
        SocketError.TimedOut => PassiveFailure.Timeout,
        SocketError.ConnectionReset or SocketError.ConnectionAborted => PassiveFailure.Reset,
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => PassiveFailure.Unreachable,
        _ => PassiveFailure.Other,
    };
}
