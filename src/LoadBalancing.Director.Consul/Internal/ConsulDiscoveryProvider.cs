using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LoadBalancing.Consul;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Watch;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Consul.Internal;

/// <summary>
/// Builds the director's Consul layer: one blocking health watch per Consul service (the configured names, or the
/// catalog's services carrying an <c>lb.vs=</c> tag, itself followed by a blocking catalog watch), all feeding one
/// <see cref="DiscoveryPool"/> from a single loop. A failed query never changes the pool: the last good instances
/// stay, and the outage is reported (EventId 1100, metric <c>lb.discovery.consul.stale</c>) until a query succeeds.
/// </summary>
internal sealed partial class ConsulDiscoveryProvider : IDiscoveryProvider
{
    private const string CatalogSource = "(catalog)";

    private readonly IConsulClient _client;
    private readonly ConsulDiscoveryOptions _options;
    private readonly SchedulerRegistry _schedulers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ConsulDiscoveryProvider(IConsulClient client, IOptions<ConsulDiscoveryOptions> options, SchedulerRegistry schedulers, TimeProvider time, ILogger<ConsulDiscoveryProvider> logger)
    {
        _client = client;
        _options = options.Value;
        _schedulers = schedulers;
        _time = time;
        _logger = logger;
    }

    public string Name => _options.ProviderName;

    public async IAsyncEnumerable<DiscoverySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Channel.CreateUnbounded<WatchEvent>(new UnboundedChannelOptions { SingleReader = true });
        var state = new LoopState(new DiscoveryPool(_options.CriticalGracePeriod, _schedulers.Names), events.Writer, stopping.Token);
        var tags = new TagList { { "provider", Name } };
        try
        {
            if (_options.Services.Count > 0)
            {
                foreach (var service in _options.Services.Distinct(StringComparer.Ordinal))
                {
                    StartHealthWatch(state, service);
                }
            }
            else
            {
                state.Tasks.Add(Task.Run(() => PumpAsync(_client.WatchCatalogServicesAsync(null, WatchOptions(), stopping.Token), u => new CatalogEvent(u), CatalogSource, events.Writer), CancellationToken.None));
            }

            string? published = null;
            DateTimeOffset? nextExpiry = null;
            while (true)
            {
                await WaitAsync(events.Reader, nextExpiry, cancellationToken).ConfigureAwait(false);
                var dirty = false;
                while (events.Reader.TryRead(out var e))
                {
                    dirty |= Handle(state, e);
                }

                var now = _time.GetUtcNow();
                if (!dirty && !(nextExpiry <= now))
                {
                    continue;
                }

                var result = state.Pool.Build(now);
                nextExpiry = result.NextExpiry;
                ReportProblems(state, result.Problems);

                // Before the first successful answer the pool knows nothing: publishing it would empty the layer.
                if (!state.HasAnswer)
                {
                    continue;
                }

                var rendered = RulesFile.Render(new LoadBalancerConfig { Services = result.Services });
                if (rendered == published)
                {
                    continue;
                }

                published = rendered;
                ConsulDiscoveryMetrics.Snapshots.Add(1, tags);
                var servers = 0;
                foreach (var service in result.Services)
                {
                    servers += service.RealServers.Length;
                }

                Log.Published(_logger, Name, result.Services.Length, servers);
                yield return new DiscoverySnapshot(result.Services);
            }
        }
        finally
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            foreach (var watch in state.Watches.Values)
            {
                watch.Cancellation.Cancel();
            }

            await Task.WhenAll(state.Tasks).ConfigureAwait(false);
            foreach (var watch in state.Watches.Values)
            {
                watch.Cancellation.Dispose();
            }

            foreach (var _ in state.Stale)
            {
                ConsulDiscoveryMetrics.StaleSources.Add(-1, tags);
            }
        }
    }

    private static DiscoveredInstance ToInstance(string service, ServiceEntry entry) => new()
    {
        ServiceName = service,
        InstanceId = entry.Node.Node + "/" + entry.Service.Id,
        Address = entry.EffectiveAddress,
        Port = entry.Service.Port,
        Tags = entry.Service.Tags ?? [],
        Meta = entry.Service.Meta ?? new Dictionary<string, string>(),
        PassingWeight = entry.Service.Weights?.Passing ?? 1,
        WarningWeight = entry.Service.Weights?.Warning ?? 1,
        Health = entry.AggregateStatus() switch
        {
            HealthStatus.Passing => InstanceHealth.Passing,
            HealthStatus.Warning => InstanceHealth.Warning,
            HealthStatus.Critical => InstanceHealth.Critical,
            _ => InstanceHealth.Maintenance,
        },
    };

    private static bool IsLoadBalanced(IEnumerable<string> tags)
        => tags.Any(t => t.StartsWith(DiscoveryConvention.VirtualServiceTagPrefix, StringComparison.Ordinal));

    private async Task WaitAsync(ChannelReader<WatchEvent> reader, DateTimeOffset? expiry, CancellationToken cancellationToken)
    {
        if (expiry is not { } due)
        {
            await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var delay = due - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var read = reader.WaitToReadAsync(timer.Token).AsTask();
        var elapsed = Task.Delay(delay, _time, timer.Token);
        await Task.WhenAny(read, elapsed).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private ConsulWatchOptions WatchOptions() => new()
    {
        Wait = _options.Wait,
        RetryBaseDelay = _options.RetryBaseDelay,
        RetryMaxDelay = _options.RetryMaxDelay,
        RateLimitBurst = 2,
        RateLimitInterval = _options.RateLimitInterval,
    };

    private void StartHealthWatch(LoopState state, string service)
    {
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(state.Stopping);
        state.Watches[service] = new HealthWatch(cancellation);
        var updates = _client.WatchServiceHealthAsync(service, null, WatchOptions(), cancellation.Token);
        state.Tasks.Add(Task.Run(() => PumpAsync(updates, u => new HealthEvent(service, u), service, state.Events), CancellationToken.None));
    }

    /// <summary>Copies one watch's updates into the loop's channel; the watch's end (a 400, cancellation) is an event too.</summary>
    private static async Task PumpAsync<T>(IAsyncEnumerable<T> updates, Func<T, WatchEvent> wrap, string source, ChannelWriter<WatchEvent> writer)
    {
        try
        {
            await foreach (var update in updates.ConfigureAwait(false))
            {
                writer.TryWrite(wrap(update));
            }
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // The loop decides; a watch's failure must reach it, not end the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            writer.TryWrite(new WatchEndedEvent(source, e));
        }
    }

    /// <summary>Applies one event to the pool; returns whether the pool may have changed.</summary>
    private bool Handle(LoopState state, WatchEvent e)
    {
        switch (e)
        {
            case CatalogEvent { Update: var update }:
                SetStale(state, CatalogSource, update.IsStale, update.ConsecutiveFailures, update.Error, state.Pool.SourceCount);
                if (update.IsStale || !update.HasResult)
                {
                    return false;
                }

                var wanted = update.Services.Where(p => IsLoadBalanced(p.Value)).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
                foreach (var service in wanted.Where(s => !state.Watches.ContainsKey(s)))
                {
                    Log.ServiceFound(_logger, Name, service);
                    StartHealthWatch(state, service);
                }

                var changed = false;
                foreach (var service in state.Watches.Keys.Where(s => !wanted.Contains(s)).ToList())
                {
                    // Consul answered and the service is gone (or lost its lb.vs tags): its instances go too.
                    Log.ServiceGone(_logger, Name, service);
                    state.Watches.Remove(service, out var watch);
                    watch!.Cancellation.Cancel();
                    SetStale(state, service, false, 0, null, 0);
                    changed |= state.Pool.RemoveSource(service);
                }

                if (!state.HasAnswer && wanted.Count == 0)
                {
                    // A successful answer with no load-balanced service at all is an answer: publish the empty layer.
                    state.HasAnswer = true;
                    return true;
                }

                return changed;

            case HealthEvent { Service: var service, Update: var update }:
                if (!state.Watches.ContainsKey(service))
                {
                    return false;
                }

                SetStale(state, service, update.IsStale, update.ConsecutiveFailures, update.Error, update.Entries.Length);
                if (update.IsStale || !update.HasResult)
                {
                    return false;
                }

                state.HasAnswer = true;
                state.Pool.SetInstances(service, update.Entries.Select(entry => ToInstance(service, entry)), _time.GetUtcNow());
                return true;

            case WatchEndedEvent { Source: var source, Error: var error }:
                // Only a 400 ends a watch (a malformed query): nothing a retry can fix; the last pool stays.
                Log.WatchEnded(_logger, Name, source, error);
                return false;

            default:
                return false;
        }
    }

    private void SetStale(LoopState state, string source, bool stale, int failures, Exception? error, int kept)
    {
        var tags = new TagList { { "provider", Name }, { "source", source } };
        if (stale)
        {
            ConsulDiscoveryMetrics.Failures.Add(1, tags);
            if (state.Stale.Add(source))
            {
                ConsulDiscoveryMetrics.StaleSources.Add(1, new TagList { { "provider", Name } });
                Log.Unreachable(_logger, Name, source, kept, error?.Message ?? "(no detail)");
            }
            else
            {
                Log.StillUnreachable(_logger, Name, source, failures, error?.Message ?? "(no detail)");
            }
        }
        else if (state.Stale.Remove(source))
        {
            ConsulDiscoveryMetrics.StaleSources.Add(-1, new TagList { { "provider", Name } });
            Log.Recovered(_logger, Name, source);
        }
    }

    private void ReportProblems(LoopState state, IReadOnlyList<string> problems)
    {
        foreach (var problem in problems)
        {
            if (state.ReportedProblems.Add(problem))
            {
                Log.InstanceIgnored(_logger, Name, problem);
            }
        }

        state.ReportedProblems.IntersectWith(problems);
    }

    private sealed class LoopState(DiscoveryPool pool, ChannelWriter<WatchEvent> events, CancellationToken stopping)
    {
        public DiscoveryPool Pool { get; } = pool;

        public ChannelWriter<WatchEvent> Events { get; } = events;

        public CancellationToken Stopping { get; } = stopping;

        public Dictionary<string, HealthWatch> Watches { get; } = new(StringComparer.Ordinal);

        public List<Task> Tasks { get; } = [];

        public HashSet<string> Stale { get; } = new(StringComparer.Ordinal);

        public HashSet<string> ReportedProblems { get; } = new(StringComparer.Ordinal);

        public bool HasAnswer { get; set; }
    }

    private sealed record HealthWatch(CancellationTokenSource Cancellation);

    private abstract record WatchEvent;

    private sealed record CatalogEvent(CatalogServicesUpdate Update) : WatchEvent;

    private sealed record HealthEvent(string Service, ServiceHealthUpdate Update) : WatchEvent;

    private sealed record WatchEndedEvent(string Source, Exception Error) : WatchEvent;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Discovery provider {Provider}: Consul unreachable for {Source}; keeping the last good pool ({Kept} entries) until it answers: {Error}")]
        public static partial void Unreachable(ILogger logger, string provider, string source, int kept, string error);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Discovery provider {Provider}: Consul answers again for {Source}")]
        public static partial void Recovered(ILogger logger, string provider, string source);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Discovery provider {Provider}: Consul still unreachable for {Source} ({Failures} failures in a row): {Error}")]
        public static partial void StillUnreachable(ILogger logger, string provider, string source, int failures, string error);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Discovery provider {Provider}: published {Services} services with {Servers} real servers")]
        public static partial void Published(ILogger logger, string provider, int services, int servers);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Discovery provider {Provider}: ignored: {Problem}")]
        public static partial void InstanceIgnored(ILogger logger, string provider, string problem);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Discovery provider {Provider}: following Consul service {Service}")]
        public static partial void ServiceFound(ILogger logger, string provider, string service);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Discovery provider {Provider}: Consul service {Service} is gone (or lost its lb.vs tags); its instances are removed")]
        public static partial void ServiceGone(ILogger logger, string provider, string service);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Error, Message = "Discovery provider {Provider}: the watch of {Source} ended; its last pool stays")]
        public static partial void WatchEnded(ILogger logger, string provider, string source, Exception exception);
    }
}
