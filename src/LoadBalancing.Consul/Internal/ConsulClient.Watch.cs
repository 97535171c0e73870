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
        options ??= new ConsulWatchOptions();
        var bucket = new TokenBucket(options.RateLimitBurst, options.RateLimitInterval, _timeProvider);
        var backoff = new ExponentialBackoff(options.RetryBaseDelay, options.RetryMaxDelay, _jitter);

        ulong index = 0;
        byte[] lastFingerprint = [];
        var current = new ServiceHealthUpdate();
        var failures = 0;
        while (true)
        {
            // Every query, successful or not, takes a token: a stale index or a churning service answers at once,
            // and without the bucket the loop would spin. Synchronous while tokens are left.
            await bucket.TakeAsync(cancellationToken).ConfigureAwait(false);

            QueryResult<IReadOnlyList<ServiceEntry>>? result = null;
            Exception? error = null;
            try
            {
                result = await GetServiceHealthAsync(service, query, new QueryOptions { Index = index, Wait = options.Wait }, cancellationToken).ConfigureAwait(false);
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
                Log.QueryFailed(_logger, service, failures, current.HasResult, error!);
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
                Log.IndexWentBackwards(_logger, service, index, returned);
                index = 0;
            }
            else
            {
                index = returned;
            }

            var entries = result.Value
                .OrderBy(e => e.Node.Node, StringComparer.Ordinal)
                .ThenBy(e => e.Service.Id, StringComparer.Ordinal)
                .ToImmutableArray();

            // A return is no proof of a change (timeouts, idempotent writes): compare the content, not the index.
            var fingerprint = JsonSerializer.SerializeToUtf8Bytes([.. entries], ConsulJsonContext.Default.ListServiceEntry);
            var changed = !current.HasResult || !fingerprint.AsSpan().SequenceEqual(lastFingerprint);
            var recovered = current.IsStale && current.HasResult;
            failures = 0;
            lastFingerprint = fingerprint;
            current = new ServiceHealthUpdate
            {
                Entries = entries,
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
}
