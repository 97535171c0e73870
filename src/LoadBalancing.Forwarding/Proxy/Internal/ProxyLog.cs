using System.Net.Sockets;
using LoadBalancing.Model;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>The proxy's log messages. EventIds 1000–1099 are the proxy's and never change meaning.</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(1000, LogLevel.Information, "Proxy listening for {Service}")]
    public static partial void ListenerStarted(ILogger logger, VirtualServiceKey service);

    [LoggerMessage(1001, LogLevel.Information, "Proxy stopped listening for {Service}; open connections finish")]
    public static partial void ListenerStopped(ILogger logger, VirtualServiceKey service);

    [LoggerMessage(1002, LogLevel.Error, "Proxy cannot listen for {Service}: {Error}. It retries on the next service table change")]
    public static partial void ListenerFailed(ILogger logger, VirtualServiceKey service, SocketError error);

    [LoggerMessage(1003, LogLevel.Error, "The userspace proxy cannot serve {Service}: {Reason}. Use the DR forwarder (or IPVS) for it, or configure an address-based TCP/UDP service with a port")]
    public static partial void ServiceNotSupported(ILogger logger, VirtualServiceKey service, string reason);

    [LoggerMessage(1004, LogLevel.Warning, "Accept failed on {Service}: {Error}")]
    public static partial void AcceptFailed(ILogger logger, VirtualServiceKey service, SocketError error);

    [LoggerMessage(1005, LogLevel.Information, "Proxy relays TCP on {Threads} event-loop thread(s)")]
    public static partial void EventLoopsStarted(ILogger logger, int threads);

    [LoggerMessage(1010, LogLevel.Warning, "No real server available for {Service} (verdict {Verdict}); client {Client}:{ClientPort} closed")]
    public static partial void NoDestination(ILogger logger, VirtualServiceKey service, Connections.ConnectionVerdict verdict, NetworkAddress client, ushort clientPort);

    [LoggerMessage(1011, LogLevel.Warning, "Connect to real server {Destination} of {Service} failed: {Error} (attempt {Attempt})")]
    public static partial void ConnectFailed(ILogger logger, Runtime.RealServerState destination, VirtualServiceKey service, SocketError error, int attempt);

    [LoggerMessage(1012, LogLevel.Warning, "Giving up on client {Client}:{ClientPort} of {Service} after {Attempts} connect attempt(s)")]
    public static partial void ConnectAttemptsExhausted(ILogger logger, NetworkAddress client, ushort clientPort, VirtualServiceKey service, int attempts);

    [LoggerMessage(1013, LogLevel.Debug, "Connection {Client}:{ClientPort} of {Service} idle for {Timeout}; reset")]
    public static partial void IdleTimeout(ILogger logger, NetworkAddress client, ushort clientPort, VirtualServiceKey service, TimeSpan timeout);

    [LoggerMessage(1014, LogLevel.Debug, "Connection {Client}:{ClientPort} of {Service} ended with {Error}")]
    public static partial void RelayFailed(ILogger logger, NetworkAddress client, ushort clientPort, VirtualServiceKey service, SocketError error);

    [LoggerMessage(1015, LogLevel.Error, "A ConnectFailed handler threw")]
    public static partial void FailureHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1017, LogLevel.Error, "A ConnectSucceeded handler threw")]
    public static partial void SuccessHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1016, LogLevel.Debug, "PROXY protocol header to {Destination} not sent: {Error}")]
    public static partial void ProxyHeaderFailed(ILogger logger, Runtime.RealServerState destination, SocketError error);

    [LoggerMessage(1020, LogLevel.Warning, "UDP receive failed on {Service}: {Error}")]
    public static partial void UdpReceiveFailed(ILogger logger, VirtualServiceKey service, SocketError error);

    [LoggerMessage(1021, LogLevel.Debug, "UDP session {Client}:{ClientPort} → {Destination} for {Service}")]
    public static partial void UdpSessionCreated(ILogger logger, NetworkAddress client, ushort clientPort, Runtime.RealServerState destination, VirtualServiceKey service);

    [LoggerMessage(1022, LogLevel.Debug, "UDP datagram from {Client}:{ClientPort} to {Service} dropped (verdict {Verdict})")]
    public static partial void UdpDropped(ILogger logger, NetworkAddress client, ushort clientPort, VirtualServiceKey service, Connections.ConnectionVerdict verdict);

    [LoggerMessage(1023, LogLevel.Debug, "UDP send to {Destination} failed: {Error}")]
    public static partial void UdpSendFailed(ILogger logger, Runtime.RealServerState destination, SocketError error);

    [LoggerMessage(1030, LogLevel.Error, "Unexpected failure in the proxy for {Service}")]
    public static partial void Unexpected(ILogger logger, VirtualServiceKey service, Exception exception);
}
