using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Threading.Channels;
using LoadBalancing.Health.Probes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Health;

/// <summary>
/// Checks targets on their own schedules (delay loop with jitter, retries, timeouts), keeps rise/fall state and
/// slow-start weights, and reports every state or weight change as a <see cref="HealthChange"/>: through
/// <see cref="Changed"/>, <see cref="Changes"/>, logs (event ids 4001–4006) and <c>lb.health.*</c> metrics.
/// </summary>
/// <remarks>
/// All timing goes through the <see cref="TimeProvider"/>. One timer serves every target: each firing starts the
/// checks due within a few milliseconds (so they may start up to 4 ms early), with at most <c>maxConcurrency</c>
/// probes in flight; a check waiting for a slot does not count against its timeout. A probe should not block
/// before its first await: checks are started one after another on the timer's thread.
/// </remarks>
public sealed partial class HealthChecker : IAsyncDisposable
{
    /// <summary>The default limit of probes in flight.</summary>
    public const int DefaultMaxConcurrency = 64;

    /// <summary>How many changes <see cref="Changes"/> buffers before it drops the oldest.</summary>
    public const int ChangeBufferCapacity = 4096;

    private readonly ConcurrentDictionary<string, TargetRunner> _runners = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _concurrency;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<HealthChange> _changes;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private volatile bool _started;

    /// <summary>Initializes a checker with no targets.</summary>
    /// <param name="maxConcurrency">The most probes in flight at once.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    /// <param name="random">The jitter source; <see cref="Random.Shared"/> when <see langword="null"/>.</param>
    public HealthChecker(int maxConcurrency = DefaultMaxConcurrency, TimeProvider? timeProvider = null, ILogger<HealthChecker>? logger = null, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        _concurrency = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        TimeProvider = timeProvider ?? TimeProvider.System;
        Logger = logger ?? (ILogger)NullLogger.Instance;
        _random = random ?? Random.Shared;
        Scheduler = new CheckScheduler(TimeProvider);
        _changes = Channel.CreateBounded<HealthChange>(
            new BoundedChannelOptions(ChangeBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = false },
            dropped => Log.ChangeDropped(Logger, dropped.Target.Name));
    }

    /// <summary>Raised on every state or weight change, on the thread that ran the check. Handlers must be quick; exceptions are logged and swallowed.</summary>
    public event EventHandler<HealthChange>? Changed;

    /// <summary>Gets every change, in order, for a consumer such as the director. Buffers <see cref="ChangeBufferCapacity"/> changes, then drops the oldest.</summary>
    public ChannelReader<HealthChange> Changes => _changes.Reader;

    /// <summary>Gets the targets being checked.</summary>
    public IReadOnlyCollection<HealthCheckTarget> Targets => [.. _runners.Values.Select(r => r.Target)];

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    internal CheckScheduler Scheduler { get; }

    /// <summary>
    /// Adds a target in its policy's initial state and reports that state as a change (previous = current).
    /// Once started, its first check is scheduled at once.
    /// </summary>
    /// <param name="target">The target.</param>
    /// <exception cref="InvalidOperationException">A target with the same name exists.</exception>
    public void Add(HealthCheckTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var runner = new TargetRunner(this, target);
        if (!_runners.TryAdd(target.Name, runner))
        {
            runner.Dispose();
            throw new InvalidOperationException($"A health check target named '{target.Name}' exists already.");
        }

        if (runner.State == HealthState.Up)
        {
            HealthMetrics.TargetsUp.Add(1);
        }

        Publish(runner.CurrentChange(runner.State));
        if (_started)
        {
            runner.Start(FirstDelay(target.Policy));
        }
    }

    /// <summary>Stops checking a target. No change is reported for it.</summary>
    /// <param name="name">The target's name.</param>
    /// <returns>Whether the target existed.</returns>
    public bool Remove(string name)
    {
        if (!_runners.TryRemove(name, out var runner))
        {
            return false;
        }

        if (runner.State == HealthState.Up)
        {
            HealthMetrics.TargetsUp.Add(-1);
        }

        runner.Dispose();
        return true;
    }

    /// <summary>Gets a target's current state and effective weight.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="state">The state.</param>
    /// <param name="weight">The effective weight.</param>
    /// <returns>Whether the target exists.</returns>
    public bool TryGetStatus(string name, out HealthState state, out int weight)
    {
        if (_runners.TryGetValue(name, out var runner))
        {
            (state, weight) = runner.Status;
            return true;
        }

        (state, weight) = (HealthState.Down, 0);
        return false;
    }

    /// <summary>Starts checking every target; targets added later start when added.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        _started = true;
        foreach (var runner in _runners.Values)
        {
            runner.Start(FirstDelay(runner.Target.Policy));
        }
    }

    /// <summary>Stops every check, cancels probes in flight and completes <see cref="Changes"/>.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        Scheduler.Dispose();
        foreach (var runner in _runners.Values)
        {
            runner.Dispose();
        }

        _changes.Writer.TryComplete();
    }

    internal TimeSpan NextDelay(HealthCheckPolicy policy)
    {
        if (policy.Jitter == 0)
        {
            return policy.DelayLoop;
        }

        double r;
        lock (_randomLock)
        {
            r = _random.NextDouble();
        }

        return policy.DelayLoop * (1 + (policy.Jitter * ((2 * r) - 1)));
    }

    internal TimeSpan FirstDelay(HealthCheckPolicy policy)
    {
        if (policy.Jitter == 0)
        {
            return TimeSpan.Zero;
        }

        lock (_randomLock)
        {
            return policy.DelayLoop * _random.NextDouble();
        }
    }

    /// <summary>Runs one probe attempt under the concurrency limit and the connect timeout. Never throws.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A custom probe's exception is a failed check, not a crashed checker.")]
    internal async ValueTask<ProbeResult> ProbeOnceAsync(HealthCheckTarget target, int attempt)
    {
        var stopping = _stopping.Token;
        try
        {
            await _concurrency.WaitAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ProbeResult.Down("checker stopped");
        }

        var started = TimeProvider.GetTimestamp();
        ProbeResult result;
        try
        {
            using var deadline = new ProbeDeadline(target.Policy.ConnectTimeout, TimeProvider, stopping);
            try
            {
                result = await target.Probe.ProbeAsync(target.Endpoint, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsExpired)
            {
                result = ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"timeout after {target.Policy.ConnectTimeout.TotalMilliseconds:0} ms"));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                result = ProbeResult.Down("checker stopped");
            }
            catch (Exception ex)
            {
                Log.ProbeThrew(Logger, ex, target.Name);
                result = ProbeResult.Down($"probe threw {ex.GetType().Name}: {ex.Message}");
            }
        }
        finally
        {
            _concurrency.Release();
        }

        var outcome = result.IsUp ? "up" : "down";
        HealthMetrics.ProbeDuration.Record(TimeProvider.GetElapsedTime(started).TotalSeconds, new TagList { { "probe", target.Probe.Name }, { "result", outcome } });
        if (!result.IsUp)
        {
            Log.ProbeFailed(Logger, target.Name, result.Reason, attempt + 1);
        }

        return result;
    }

    internal static void RecordCheck(HealthCheckTarget target, ProbeResult result)
        => HealthMetrics.Checks.Add(1, new TagList { { "target", target.Name }, { "probe", target.Probe.Name }, { "result", result.IsUp ? "up" : "down" } });

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A subscriber's exception must not stop the checks.")]
    internal void Publish(HealthChange change)
    {
        if (change.State != change.PreviousState)
        {
            HealthMetrics.Transitions.Add(1, new TagList { { "target", change.Target.Name }, { "state", change.State == HealthState.Up ? "up" : "down" } });
            HealthMetrics.TargetsUp.Add(change.State == HealthState.Up ? 1 : -1);
            if (change.State == HealthState.Up)
            {
                Log.TargetUp(Logger, change.Target.Name, change.Weight);
            }
            else
            {
                Log.TargetDown(Logger, change.Target.Name, change.Reason, change.IsRemoved ? "removed" : "inhibited (weight 0)");
            }
        }
        else
        {
            Log.WeightChanged(Logger, change.Target.Name, change.Weight);
        }

        try
        {
            Changed?.Invoke(this, change);
        }
        catch (Exception ex)
        {
            Log.ProbeThrew(Logger, ex, change.Target.Name);
        }

        _changes.Writer.TryWrite(change);
    }
}
