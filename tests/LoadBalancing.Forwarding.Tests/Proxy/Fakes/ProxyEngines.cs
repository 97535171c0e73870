using LoadBalancing.Forwarding.Proxy;

namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>The TCP engines every TCP proxy test runs under: .NET sockets everywhere, the epoll event loop on Linux.</summary>
public static class ProxyEngines
{
    public static TheoryData<ProxyEngine> All => [ProxyEngine.Sockets, ProxyEngine.EventLoop];

    /// <summary>Skips (with the reason) an engine this OS cannot run.</summary>
    public static void SkipIfUnsupported(ProxyEngine engine)
        => Assert.SkipWhen(engine == ProxyEngine.EventLoop && !OperatingSystem.IsLinux(), "the EventLoop engine runs on Linux only");
}
