using LoadBalancing.Health.Outliers;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>Forwards a proxy's connect outcomes to a passive health reporter until disposed.</summary>
internal sealed class PassiveHealthBridge : IDisposable
{
    private readonly ProxyForwarder _forwarder;
    private readonly IPassiveHealthReporter _reporter;
    private readonly EventHandler<ProxyConnectFailedEventArgs> _onFailed;
    private readonly EventHandler<ProxyConnectSucceededEventArgs> _onSucceeded;
    private int _disposed;

    public PassiveHealthBridge(ProxyForwarder forwarder, IPassiveHealthReporter reporter)
    {
        _forwarder = forwarder;
        _reporter = reporter;
        _onFailed = (_, e) => _reporter.ReportFailure(e.Destination, PassiveFailures.FromSocketError(e.Error));
        _onSucceeded = (_, e) => _reporter.ReportSuccess(e.Destination);
        forwarder.ConnectFailed += _onFailed;
        forwarder.ConnectSucceeded += _onSucceeded;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _forwarder.ConnectFailed -= _onFailed;
            _forwarder.ConnectSucceeded -= _onSucceeded;
        }
    }
}
