using System.Collections.Immutable;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Watch;

namespace LoadBalancing.Consul.Internal;

internal sealed partial class ConsulClient
{
    public async IAsyncEnumerable<ServiceHealthUpdate> WatchServiceHealthAsync(
        string service,
        HealthServiceQuery? query = null,
        ConsulWatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        var watch = WatchCoreAsync(
            service,
            async (blocking, ct) =>
            {
                var result = await GetServiceHealthAsync(service, query, blocking, ct).ConfigureAwait(false);
                var entries = result.Value
                    .OrderBy(e => e.Node.Node, StringComparer.Ordinal)
                    .ThenBy(e => e.Service.Id, StringComparer.Ordinal)
                    .ToImmutableArray();
                return new QueryResult<ImmutableArray<ServiceEntry>>(entries, result.Meta);
            },
            entries => JsonSerializer.SerializeToUtf8Bytes([.. entries], ConsulJsonContext.Default.ListServiceEntry),
            options,
            cancellationToken);
        await foreach (var state in watch.ConfigureAwait(false))
        {
            yield return new ServiceHealthUpdate
            {
                Entries = state.Value.IsDefault ? [] : state.Value,
                Index = state.Index,
                HasResult = state.HasResult,
                IsStale = state.IsStale,
                Error = state.Error,
                ConsecutiveFailures = state.ConsecutiveFailures,
                LastSuccess = state.LastSuccess,
            };
        }
    }

    public async IAsyncEnumerable<CatalogServicesUpdate> WatchCatalogServicesAsync(
        string? filter = null,
        ConsulWatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var watch = WatchCoreAsync(
            "catalog services",
            async (blocking, ct) =>
            {
                var result = await GetCatalogServicesAsync(filter, blocking, ct).ConfigureAwait(false);
                var services = result.Value.ToImmutableSortedDictionary(
                    p => p.Key,
                    p => p.Value.Order(StringComparer.Ordinal).ToImmutableArray(),
                    StringComparer.Ordinal);
                return new QueryResult<ImmutableSortedDictionary<string, ImmutableArray<string>>>(services, result.Meta);
            },
            services => JsonSerializer.SerializeToUtf8Bytes(services.ToDictionary(p => p.Key, p => p.Value.ToList()), ConsulJsonContext.Default.DictionaryStringListString),
            options,
            cancellationToken);
        await foreach (var state in watch.ConfigureAwait(false))
        {
            yield return new CatalogServicesUpdate
            {
                Services = state.Value ?? ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty.WithComparers(StringComparer.Ordinal),
                Index = state.Index,
                HasResult = state.HasResult,
                IsStale = state.IsStale,
                Error = state.Error,
                ConsecutiveFailures = state.ConsecutiveFailures,
                LastSuccess = state.LastSuccess,
            };
        }
    }

    /// <summary>
    /// The blocking-query loop every watch shares: index bookkeeping (Consul's documented rules), a token bucket on
    /// the happy path, jittered exponential back-off on errors, and change detection by content.
    /// </summary>
    private async IAsyncEnumerable<WatchState<T>> WatchCoreAsync<T>(
        string what,
        Func<QueryOptions, CancellationToken, Task<QueryResult<T>>> query,
        Func<T, byte[]> fingerprintOf,
        ConsulWatchOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        options ??= new ConsulWatchOptions();
        var bucket = new TokenBucket(options.RateLimitBurst, options.RateLimitInterval, _timeProvider);
        var backoff = new ExponentialBackoff(options.RetryBaseDelay, options.RetryMaxDelay, _jitter);

        ulong index = 0;
        byte[] lastFingerprint = [];
        var current = new WatchState<T>();
        var failures = 0;
        while (true)
        {
            // Every query, successful or not, takes a token: a stale index or a churning service answers at once,
            // and without the bucket the loop would spin. Synchronous while tokens are left.
            await bucket.TakeAsync(cancellationToken).ConfigureAwait(false);

            QueryResult<T>? result = null;
            Exception? error = null;
            try
            {
                result = await query(new QueryOptions { Index = index, Wait = options.Wait }, cancellationToken).ConfigureAwait(false);
            }
            catch (ConsulException e) when (e.StatusCode != HttpStatusCode.BadRequest)
            {
                // 400 is a malformed query (filter, tag, dc): retrying cannot fix it, so it ends the watch.
                error = e;
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or JsonException)
            {
                error = e;
            }

            if (result is null)
            {
                failures++;
                current = current with { IsStale = true, Error = error, ConsecutiveFailures = failures };
                Log.QueryFailed(_logger, what, failures, current.HasResult, error!);
                yield return current;

                // The first thing after resuming is the delay, so a consumer's MoveNextAsync registers it at once.
                await Task.Delay(backoff.Next(failures), _timeProvider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var returned = result.Meta.LastIndex;
            if (returned == 0)
            {
                // Index 0 (old agents, or no header) never blocks; block on 1 instead of spinning (Consul's
                // documented rule 2). It says nothing about order, so it is not treated as going backwards.
                index = 1;
            }
            else if (returned < index)
            {
                // Snapshot restore, a deleted highest-index item, or another server answering: the index is not
                // comparable any more. Start over with a non-blocking read (rule 1).
                Log.IndexWentBackwards(_logger, what, index, returned);
                index = 0;
            }
            else
            {
                index = returned;
            }

            // A return is no proof of a change (timeouts, idempotent writes): compare the content, not the index.
            var fingerprint = fingerprintOf(result.Value);
            var changed = !current.HasResult || !fingerprint.AsSpan().SequenceEqual(lastFingerprint);
            var recovered = current.IsStale && current.HasResult;
            failures = 0;
            lastFingerprint = fingerprint;
            current = new WatchState<T>
            {
                Value = result.Value,
                Index = returned,
                HasResult = true,
                LastSuccess = _timeProvider.GetUtcNow(),
            };

            if (changed || recovered)
            {
                yield return current;
            }
        }
    }

    private sealed record WatchState<T>
    {
        public T Value { get; init; } = default!;

        public ulong Index { get; init; }

        public bool HasResult { get; init; }

        public bool IsStale { get; init; }

        public Exception? Error { get; init; }

        public int ConsecutiveFailures { get; init; }

        public DateTimeOffset? LastSuccess { get; init; }
    }
}
