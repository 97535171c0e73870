namespace LoadBalancing.Forwarding.Proxy;

/// <summary>How the <see cref="ProxyForwarder"/> drives its TCP sockets. UDP always uses .NET sockets.</summary>
public enum ProxyEngine
{
    /// <summary>The event loop on Linux, .NET sockets elsewhere.</summary>
    Auto,

    /// <summary>.NET <see cref="System.Net.Sockets.Socket"/> asynchronous operations; every OS.</summary>
    Sockets,

    /// <summary>
    /// Linux only: HAProxy's model, a fixed set of threads each running its own epoll loop over non-blocking
    /// sockets, so a connection's reads, writes and accepts stay on one thread without thread-pool hops.
    /// </summary>
    EventLoop,
}
