using System.Net.Http;
using System.Net.Sockets;
using LoadBalancing.Health.Outliers;

namespace LoadBalancing.Client;

/// <summary>Classifies what a client-side call to a real server ended with, for <see cref="IPassiveHealthReporter"/>.</summary>
public static class ClientFailures
{
    /// <summary>Classifies an exception a call ended with.</summary>
    /// <param name="exception">The exception (its inner exceptions are searched for the socket error).</param>
    /// <returns>
    /// The socket error's kind when there is one (<see cref="PassiveFailures.FromSocketError"/>); <see cref="PassiveFailure.Timeout"/>
    /// for a timeout or cancellation; <see cref="PassiveFailure.Reset"/> for a connection that broke mid-call; else
    /// <see cref="PassiveFailure.Other"/>.
    /// </returns>
    public static PassiveFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return PassiveFailures.FromSocketError(socket.SocketErrorCode);
            }
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException or OperationCanceledException:
                    return PassiveFailure.Timeout;
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }:
                    return PassiveFailure.Refused;
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError }:
                case IOException:
                    return PassiveFailure.Reset;
            }
        }

        return PassiveFailure.Other;
    }

    /// <summary>Gets a value indicating whether an exception means the request never reached the server (a failed connect), so it is safe to send it elsewhere.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>Whether the connect failed.</returns>
    public static bool IsConnectFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }

            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown })
            {
                return true;
            }
        }

        return false;
    }
}
