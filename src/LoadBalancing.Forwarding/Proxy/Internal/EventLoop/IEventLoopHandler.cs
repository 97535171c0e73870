namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>Something with descriptors registered in a <see cref="ProxyEventLoop"/>; called on the loop's thread only.</summary>
internal interface IEventLoopHandler
{
    /// <summary>The descriptor registered with <paramref name="tag"/> is ready (<c>EPOLL*</c> bits in <paramref name="events"/>).</summary>
    void OnEvents(uint events, int tag);

    /// <summary>The loop is ending with the descriptor still registered: release it.</summary>
    void OnLoopStopped(int tag);
}
