namespace LoadBalancing.Consul.Internal;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: up to <c>burst</c> calls pass at once, then one per interval.
/// Not thread-safe: one watch loop owns one bucket.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _burst;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(int burst, TimeSpan interval, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _burst = burst;
        _interval = interval;
        _timeProvider = timeProvider;
        _tokens = burst;
        _lastRefill = timeProvider.GetTimestamp();
    }

    /// <summary>Takes a token, waiting for the refill when none is left; completes synchronously when one is available.</summary>
    public ValueTask TakeAsync(CancellationToken cancellationToken)
    {
        Refill();
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return ValueTask.CompletedTask;
        }

        // The missing fraction of a token arrives after that fraction of an interval.
        return WaitAsync(_interval * (1 - _tokens), cancellationToken);
    }

    private async ValueTask WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        Refill();
        _tokens = Math.Max(0, _tokens - 1);
    }

    private void Refill()
    {
        var now = _timeProvider.GetTimestamp();
        var elapsed = _timeProvider.GetElapsedTime(_lastRefill, now);
        _tokens = Math.Min(_burst, _tokens + (elapsed / _interval));
        _lastRefill = now;
    }
}
