namespace LoadBalancing.Health;

/// <summary>
/// The schedule and state of one target: its next check in the checker's <see cref="CheckScheduler"/>, queued
/// again after every attempt (so a slow probe never overlaps the next), the rise/fall counter, and the slow-start
/// ramp timer.
/// </summary>
internal sealed class TargetRunner : IDisposable
{
    private readonly Lock _lock = new();
    private readonly HealthChecker _checker;
    private HealthCounter _counter;
    private ITimer? _rampTimer;
    private bool _started;
    private int _attempt;
    private int _fullWeight;
    private int _weight;
    private DateTimeOffset _upSince;
    private string? _reason;
    private bool _disposed;

    public TargetRunner(HealthChecker checker, HealthCheckTarget target)
    {
        _checker = checker;
        Target = target;
        _counter = new HealthCounter(target.Policy.Rise, target.Policy.Fall, target.Policy.InitialState);
        _fullWeight = target.Weight;

        // A target that starts up gets its full weight at once: slow start is for recovery, not for start-up.
        _upSince = checker.TimeProvider.GetUtcNow() - target.Policy.SlowStart;
        _weight = _counter.State == HealthState.Up ? _fullWeight : 0;
        if (_counter.State == HealthState.Down)
        {
            _reason = "initial state (alpha)";
        }
    }

    public HealthCheckTarget Target { get; }

    public HealthState State
    {
        get
        {
            lock (_lock)
            {
                return _counter.State;
            }
        }
    }

    public (HealthState State, int Weight) Status
    {
        get
        {
            lock (_lock)
            {
                return (_counter.State, _weight);
            }
        }
    }

    public HealthChange CurrentChange(HealthState previous)
    {
        lock (_lock)
        {
            return new HealthChange(Target, previous, _counter.State, _weight, _counter.State == HealthState.Down ? _reason : null, _checker.TimeProvider.GetUtcNow());
        }
    }

    public void Start(TimeSpan firstDelay)
    {
        lock (_lock)
        {
            if (_disposed || _started)
            {
                return;
            }

            _started = true;
        }

        _checker.Scheduler.Schedule(this, firstDelay);
    }

    /// <summary>Called by the scheduler when the next check is due.</summary>
    public void OnDue()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
        }

        _ = RunCheckAsync();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _rampTimer?.Dispose();
        }
    }

    private async Task RunCheckAsync()
    {
        int attempt;
        lock (_lock)
        {
            attempt = _attempt;
        }

        var result = await _checker.ProbeOnceAsync(Target, attempt).ConfigureAwait(false);
        HealthChange? change = null;
        TimeSpan next;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!result.IsUp && _attempt < Target.Policy.Retry)
            {
                // keepalived: a failed attempt is retried after delay_before_retry; only when the retries are
                // used up does the check count as failed.
                _attempt++;
                next = Target.Policy.DelayBeforeRetry;
            }
            else
            {
                _attempt = 0;
                HealthChecker.RecordCheck(Target, result);
                change = Apply(result);
                next = _checker.NextDelay(Target.Policy);
            }
        }

        if (change is not null)
        {
            _checker.Publish(change);
        }

        // Outside the lock: the scheduler may start due checks (this one's, with a zero delay) on this thread.
        _checker.Scheduler.Schedule(this, next);
    }

    // Called under _lock.
    private HealthChange? Apply(ProbeResult result)
    {
        var previous = _counter.State;
        var previousWeight = _weight;
        _counter.Report(result.IsUp);
        if (result.IsUp && result.DynamicWeight is { } dynamicWeight)
        {
            _fullWeight = dynamicWeight;
        }

        if (!result.IsUp)
        {
            _reason = result.Reason;
        }

        var now = _checker.TimeProvider.GetUtcNow();
        var state = _counter.State;
        if (state == HealthState.Up && previous == HealthState.Down)
        {
            _upSince = now;
            StartRamp();
        }
        else if (state == HealthState.Down)
        {
            _rampTimer?.Dispose();
            _rampTimer = null;
        }

        _weight = state == HealthState.Up ? SlowStart.Weight(_fullWeight, now - _upSince, Target.Policy.SlowStart) : 0;
        return state != previous || _weight != previousWeight
            ? new HealthChange(Target, previous, state, _weight, state == HealthState.Down ? _reason : null, now)
            : null;
    }

    // Called under _lock.
    private void StartRamp()
    {
        _rampTimer?.Dispose();
        _rampTimer = null;
        if (Target.Policy.SlowStart <= TimeSpan.Zero)
        {
            return;
        }

        var step = Target.Policy.SlowStart / SlowStart.Steps;
        _rampTimer = _checker.TimeProvider.CreateTimer(static s => ((TargetRunner)s!).OnRampTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _rampTimer.Change(step, step);
    }

    private void OnRampTick()
    {
        HealthChange? change = null;
        lock (_lock)
        {
            if (_disposed || _counter.State != HealthState.Up)
            {
                return;
            }

            var elapsed = _checker.TimeProvider.GetUtcNow() - _upSince;
            var weight = SlowStart.Weight(_fullWeight, elapsed, Target.Policy.SlowStart);
            if (elapsed >= Target.Policy.SlowStart)
            {
                _rampTimer?.Dispose();
                _rampTimer = null;
            }

            if (weight != _weight)
            {
                _weight = weight;
                change = new HealthChange(Target, HealthState.Up, HealthState.Up, weight, null, _checker.TimeProvider.GetUtcNow());
            }
        }

        if (change is not null)
        {
            _checker.Publish(change);
        }
    }
}
