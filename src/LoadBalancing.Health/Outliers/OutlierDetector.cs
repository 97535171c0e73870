using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Health.Outliers;

/// <summary>
/// Passive health checking with the semantics of gRPC A50 and Envoy outlier detection: forwarders report each
/// connection's outcome; a real server is ejected after <see cref="OutlierDetectionOptions.ConsecutiveFailures"/>
/// failures in a row (at once) or, at each <see cref="OutlierDetectionOptions.Interval"/>, when its success rate or
/// failure percentage over the last interval makes it an outlier. An ejection lasts base ejection time × the number
/// of recent ejections (capped) and ends at the first sweep strictly after that; the multiplier drops by one per sweep
/// spent in the pool. Each virtual service is one pool for <see cref="OutlierDetectionOptions.MaxEjectionPercent"/>.
/// </summary>
/// <remarks>
/// Ejections are reported through <see cref="Changed"/>, <see cref="Changes"/>, logs (event ids 4010–4013) and
/// <c>lb.health.outlier.*</c> metrics; <see cref="ServiceTableHealthAdapter"/> applies them to the service table
/// (weight 0 while ejected). All timing goes through the <see cref="TimeProvider"/>.
/// </remarks>
public sealed partial class OutlierDetector : IPassiveHealthReporter, IDisposable
{
    /// <summary>How many changes <see cref="Changes"/> buffers before it drops the oldest.</summary>
    public const int ChangeBufferCapacity = 4096;

    private readonly ServiceTable _table;
    private readonly ConcurrentDictionary<RealServerState, OutlierEntry> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();
    private readonly Random _random;
    private readonly Channel<OutlierChange> _changes;
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Initializes a detector over the real servers of <paramref name="table"/>; call <see cref="Start"/> to run the sweeps.</summary>
    /// <param name="table">The service table whose real servers are reported on.</param>
    /// <param name="options">The settings; defaults (Envoy's) when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">The logger; none when <see langword="null"/>.</param>
    /// <param name="random">The source of the enforcement-percentage draws; <see cref="Random.Shared"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names the option.</exception>
    public OutlierDetector(ServiceTable table, OutlierDetectionOptions? options = null, TimeProvider? timeProvider = null, ILogger<OutlierDetector>? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        options ??= new OutlierDetectionOptions();
        var problems = string.Join(" ", options.Validate());
        if (problems.Length > 0)
        {
            throw new ArgumentException($"Outlier detection options are invalid: {problems}", nameof(options));
        }

        _table = table;
        Options = options;
        TimeProvider = timeProvider ?? TimeProvider.System;
        Logger = logger ?? (ILogger)NullLogger.Instance;
        _random = random ?? Random.Shared;
        _changes = Channel.CreateBounded<OutlierChange>(new BoundedChannelOptions(ChangeBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
    }

    /// <summary>Raised on every ejection and return, outside the detector's lock. Handlers must be quick; exceptions are logged and swallowed.</summary>
    public event EventHandler<OutlierChange>? Changed;

    /// <summary>Gets every ejection and return, in order. Buffers <see cref="ChangeBufferCapacity"/> changes, then drops the oldest.</summary>
    public ChannelReader<OutlierChange> Changes => _changes.Reader;

    /// <summary>Gets the settings.</summary>
    public OutlierDetectionOptions Options { get; }

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    /// <summary>Starts the periodic sweep (every <see cref="OutlierDetectionOptions.Interval"/>).</summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _timer ??= TimeProvider.CreateTimer(static s => ((OutlierDetector)s!).Sweep(), this, Options.Interval, Options.Interval);
        }
    }

    /// <summary>Gets a value indicating whether a real server is ejected now.</summary>
    /// <param name="destination">The real server.</param>
    /// <returns>Whether it is ejected.</returns>
    public bool IsEjected(RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!_entries.TryGetValue(destination, out var entry))
        {
            return false;
        }

        lock (_lock)
        {
            return entry.IsEjected;
        }
    }

    /// <inheritdoc/>
    public void ReportSuccess(RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Entry(destination).Success();
        OutlierMetrics.Reports.Add(1, new KeyValuePair<string, object?>("result", "success"));
    }

    /// <inheritdoc/>
    public void ReportFailure(RealServerState destination, PassiveFailure failure)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = Entry(destination);
        var consecutive = entry.Failure();
        OutlierMetrics.Reports.Add(1, new KeyValuePair<string, object?>("result", "failure"));
        if (Options.ConsecutiveFailures > 0 && consecutive >= Options.ConsecutiveFailures)
        {
            OutlierChange? change;
            lock (_lock)
            {
                change = _disposed || entry.IsEjected
                    ? null
                    : TryEject(entry, OutlierEjectionReason.ConsecutiveFailures, Options.ConsecutiveFailuresEnforcementPercentage, TimeProvider.GetUtcNow());
            }

            if (change is not null)
            {
                Publish(change);
            }
        }
    }

    /// <summary>Stops the sweeps and completes <see cref="Changes"/>. Ejected servers stay as they are.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }

        _changes.Writer.TryComplete();
    }

    /// <summary>One A50 sweep: swap the buckets, run the rate algorithms per service, then return or decay.</summary>
    internal void Sweep()
    {
        var changes = new List<OutlierChange>();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = TimeProvider.GetUtcNow();
            foreach (var (destination, _) in _entries)
            {
                if (!destination.IsAvailable)
                {
                    if (_entries.TryRemove(destination, out var gone) && gone.IsEjected)
                    {
                        OutlierMetrics.Ejected.Add(-1);
                    }
                }
            }

            foreach (var service in _table.Services)
            {
                var pool = new List<OutlierEntry>(service.Destinations.Length);
                foreach (var destination in service.Destinations)
                {
                    var entry = Entry(destination);
                    entry.SwapBuckets();
                    pool.Add(entry);
                }

                if (Options.SuccessRate is { } successRate)
                {
                    RunSuccessRate(pool, successRate, now, changes);
                }

                if (Options.FailurePercentage is { } failurePercentage)
                {
                    RunFailurePercentage(pool, failurePercentage, now, changes);
                }

                foreach (var entry in pool)
                {
                    if (!entry.IsEjected)
                    {
                        if (entry.Multiplier > 0)
                        {
                            entry.Multiplier--;
                        }
                    }
                    // A50: un-eject when the current time is after ejection timestamp + ejection time (strictly).
                    else if (now > entry.EjectedAt + Options.EjectionTime(entry.Multiplier))
                    {
                        entry.EjectedAt = null;
                        entry.ResetConsecutive();
                        OutlierMetrics.Ejected.Add(-1);
                        Log.Returned(Logger, entry.Destination);
                        changes.Add(new OutlierChange(entry.Destination, false, OutlierEjectionReason.EjectionTimeElapsed, entry.Multiplier, TimeSpan.Zero, now));
                    }
                }
            }
        }

        foreach (var change in changes)
        {
            Publish(change);
        }
    }

    // A50 success rate: among servers with enough volume, eject those below mean − stdev × factor.
    private void RunSuccessRate(List<OutlierEntry> pool, SuccessRateEjectionOptions options, DateTimeOffset now, List<OutlierChange> changes)
    {
        var count = 0;
        double sum = 0;
        foreach (var entry in pool)
        {
            if (entry.IntervalVolume >= options.RequestVolume && entry.IntervalVolume > 0)
            {
                count++;
                sum += Rate(entry);
            }
        }

        if (count == 0 || count < options.MinimumHosts)
        {
            return;
        }

        var mean = sum / count;
        double squares = 0;
        foreach (var entry in pool)
        {
            if (entry.IntervalVolume >= options.RequestVolume && entry.IntervalVolume > 0)
            {
                squares += (Rate(entry) - mean) * (Rate(entry) - mean);
            }
        }

        // Population standard deviation, as Envoy and the gRPC implementations.
        var threshold = mean - (Math.Sqrt(squares / count) * (options.StdevFactor / 1000.0));
        foreach (var entry in pool)
        {
            if (entry.IsEjected || entry.IntervalVolume < options.RequestVolume || entry.IntervalVolume == 0 || Rate(entry) >= threshold)
            {
                continue;
            }

            if (TryEject(entry, OutlierEjectionReason.SuccessRate, options.EnforcementPercentage, now) is { } change)
            {
                changes.Add(change);
            }
        }

        static double Rate(OutlierEntry e) => (double)e.IntervalSuccesses / e.IntervalVolume;
    }

    // A50 failure percentage: eject servers with enough volume whose failure percentage is above the threshold.
    private void RunFailurePercentage(List<OutlierEntry> pool, FailurePercentageEjectionOptions options, DateTimeOffset now, List<OutlierChange> changes)
    {
        if (pool.Count < options.MinimumHosts)
        {
            return;
        }

        foreach (var entry in pool)
        {
            if (entry.IsEjected || entry.IntervalVolume < options.RequestVolume || entry.IntervalVolume == 0)
            {
                continue;
            }

            // failures / volume > threshold / 100, in integers.
            if (entry.IntervalFailures * 100 > (long)options.Threshold * entry.IntervalVolume
                && TryEject(entry, OutlierEjectionReason.FailurePercentage, options.EnforcementPercentage, now) is { } change)
            {
                changes.Add(change);
            }
        }
    }

    // Called under _lock.
    private OutlierChange? TryEject(OutlierEntry entry, OutlierEjectionReason reason, int enforcementPercentage, DateTimeOffset now)
    {
        var destination = entry.Destination;
        var servers = 0;
        var ejected = 0;
        foreach (var peer in destination.Service.Destinations)
        {
            servers++;
            if (_entries.TryGetValue(peer, out var e) && e.IsEjected)
            {
                ejected++;
            }
        }

        // Never more than MaxEjectionPercent of the service's servers: (ejected + 1) / servers <= max / 100, in
        // integers; but one server may always be ejected (A50: "will eject at least one address regardless").
        if (ejected > 0 && (long)(ejected + 1) * 100 > (long)Options.MaxEjectionPercent * servers)
        {
            Skip(destination, reason, "max_ejection_percent");
            return null;
        }

        int draw;
        lock (_random)
        {
            draw = _random.Next(100);
        }

        if (draw >= enforcementPercentage)
        {
            Skip(destination, reason, "enforcement_percentage");
            return null;
        }

        entry.EjectedAt = now;
        entry.Multiplier++;
        entry.ResetConsecutive();
        var time = Options.EjectionTime(entry.Multiplier);
        OutlierMetrics.Ejected.Add(1);
        OutlierMetrics.Ejections.Add(1, new KeyValuePair<string, object?>("reason", Tag(reason)));
        Log.Ejected(Logger, destination, reason, time.TotalSeconds, entry.Multiplier);
        return new OutlierChange(destination, true, reason, entry.Multiplier, time, now);
    }

    private void Skip(RealServerState destination, OutlierEjectionReason reason, string why)
    {
        OutlierMetrics.Skipped.Add(1, new TagList { { "reason", Tag(reason) }, { "why", why } });
        Log.Skipped(Logger, destination, reason, why);
    }

    private static string Tag(OutlierEjectionReason reason) => reason switch
    {
        OutlierEjectionReason.ConsecutiveFailures => "consecutive_failures",
        OutlierEjectionReason.SuccessRate => "success_rate",
        OutlierEjectionReason.FailurePercentage => "failure_percentage",
        _ => "returned",
    };

    private OutlierEntry Entry(RealServerState destination)
        => _entries.TryGetValue(destination, out var entry) ? entry : _entries.GetOrAdd(destination, static d => new OutlierEntry(d));

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A subscriber's exception must not stop the detector or a forwarder's relay.")]
    private void Publish(OutlierChange change)
    {
        try
        {
            Changed?.Invoke(this, change);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Logger, ex);
        }

        _changes.Writer.TryWrite(change);
    }
}
