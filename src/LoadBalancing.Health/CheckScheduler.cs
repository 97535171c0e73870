namespace LoadBalancing.Health;

/// <summary>
/// One timer for every target's next check: a priority queue of due times and a single <see cref="ITimer"/> armed
/// for the earliest. Each firing starts every check due within <see cref="CoalesceWindow"/>, so 10 000 targets
/// at a 1 s delay loop cost a few hundred timer firings a second instead of one timer and one thread-pool hop per
/// check.
/// </summary>
/// <remarks>
/// On the system clock the firings run on one dedicated thread that sleeps until the earliest due time, not on
/// thread-pool timer callbacks: each callback woke a pool worker that then spun looking for more work, and at
/// 10 000 checks a second that spinning cost more CPU than the checks (bench/health-10k.sh noop: 15.6 % of a core
/// on timers, 6 % with this thread). A fake <see cref="TimeProvider"/> (tests) keeps the timer, so fake time still
/// drives everything.
/// </remarks>
internal sealed class CheckScheduler : IDisposable
{
    /// <summary>Checks due this close after a firing start with it (early by at most this).</summary>
    public static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(4);

    private readonly TimeProvider _time;
    private readonly PriorityQueue<TargetRunner, DateTimeOffset> _queue = new();
    private readonly Lock _lock = new();
    private readonly Lock _armLock = new();
    private readonly ITimer? _timer;
    private readonly AutoResetEvent? _wake;
    private readonly Thread? _thread;
    private volatile bool _disposed;

    public CheckScheduler(TimeProvider time)
    {
        _time = time;
        if (ReferenceEquals(time, TimeProvider.System))
        {
            _wake = new AutoResetEvent(false);
            _thread = new Thread(Run) { IsBackground = true, Name = "lb-health-scheduler" };
            _thread.Start();
        }
        else
        {
            _timer = time.CreateTimer(static s => ((CheckScheduler)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Schedules a runner's next check (a disposed runner ignores it when it comes due).</summary>
    public void Schedule(TargetRunner runner, TimeSpan delay)
    {
        bool arm;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var due = _time.GetUtcNow() + delay;
            arm = !_queue.TryPeek(out _, out var earliest) || due < earliest;
            _queue.Enqueue(runner, due);
        }

        if (arm)
        {
            Arm();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _queue.Clear();
        }

        _timer?.Dispose();
        if (_wake is not null)
        {
            _wake.Set();
            if (Thread.CurrentThread != _thread)
            {
                _thread!.Join(); // a firing only starts checks, so this is short
            }

            _wake.Dispose();
        }
    }

    private void Run()
    {
        var wake = _wake!;
        while (!_disposed)
        {
            bool empty;
            var wait = TimeSpan.Zero;
            lock (_lock)
            {
                empty = !_queue.TryPeek(out _, out var earliest);
                if (!empty)
                {
                    wait = earliest - _time.GetUtcNow();
                }
            }

            // (Not Timeout.InfiniteTimeSpan as the "empty" marker: a check exactly 1 ms overdue has that value.)
            if (empty || wait > TimeSpan.Zero)
            {
                // Rounded up to whole milliseconds: the coalescing window absorbs the rest.
                wake.WaitOne(empty ? Timeout.Infinite : (int)Math.Ceiling(Math.Min(wait.TotalMilliseconds, int.MaxValue)));
                continue;
            }

            FireDue();
        }
    }

    private void Fire()
    {
        FireDue();
        Arm();
    }

    private void FireDue()
    {
        List<TargetRunner>? due = null;
        lock (_lock)
        {
            var limit = _time.GetUtcNow() + CoalesceWindow;
            while (_queue.TryPeek(out var item, out var at) && at <= limit)
            {
                _queue.Dequeue();
                (due ??= []).Add(item);
            }
        }

        if (due is not null)
        {
            foreach (var runner in due)
            {
                runner.OnDue();
            }
        }
    }

    // Serialized so the last arming always reflects the latest earliest due time. Change may run the callback
    // at once (due time zero) on this thread; both locks are re-entrant and not held across the queue walk.
    private void Arm()
    {
        if (_wake is not null)
        {
            _wake.Set();
            return;
        }

        lock (_armLock)
        {
            DateTimeOffset earliest;
            lock (_lock)
            {
                if (_disposed || !_queue.TryPeek(out _, out earliest))
                {
                    return;
                }
            }

            var delay = earliest - _time.GetUtcNow();
            _timer!.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }
}
