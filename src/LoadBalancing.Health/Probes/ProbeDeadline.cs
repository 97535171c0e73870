namespace LoadBalancing.Health.Probes;

/// <summary>
/// A timeout on a <see cref="TimeProvider"/> linked to the caller's token, so fake-time tests stay
/// deterministic and a timeout can be told apart from the caller's cancellation.
/// </summary>
internal sealed class ProbeDeadline : IDisposable
{
    private readonly CancellationTokenSource? _timeout;
    private readonly CancellationTokenSource _linked;

    public ProbeDeadline(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            _timeout = new CancellationTokenSource(timeout, timeProvider);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
        }
        else
        {
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }
    }

    public CancellationToken Token => _linked.Token;

    public bool IsExpired => _timeout?.IsCancellationRequested == true;

    public void Dispose()
    {
        _linked.Dispose();
        _timeout?.Dispose();
    }
}
