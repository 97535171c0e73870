using System.Net;
using System.Text.Json;
using LoadBalancing.Consul.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Consul.Locking;

/// <summary>
/// A held Consul lock: a session (TTL, behaviour, lock-delay) and a KV key acquired with <c>?acquire=</c>. While held,
/// the session is renewed at half its TTL (retried every <see cref="ConsulLockOptions.RetryDelay"/> until a whole TTL
/// has passed since the last success) and the key is watched with blocking reads. Loss is reported at once through
/// <see cref="LostToken"/>: a renewal answered 404 (the session expired), a renewal failing for a whole TTL, or the key
/// showing another session (or none, or gone). Stop acting as the holder when it fires. Disposing releases the key and
/// destroys the session. Locks are advisory: use <see cref="LockIndex"/> with the key and session as a fencing sequencer.
/// </summary>
public sealed partial class ConsulLock : IAsyncDisposable
{
    private readonly IConsulClient _client;
    private readonly ConsulLockOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _background = Task.CompletedTask;
    private int _disposed;

    private ConsulLock(IConsulClient client, ConsulLockOptions options, string sessionId, KVPair held, TimeProvider time, ILogger logger)
    {
        _client = client;
        _options = options;
        SessionId = sessionId;
        LockIndex = held.LockIndex;
        ModifyIndex = held.ModifyIndex;
        _time = time;
        _logger = logger;
    }

    /// <summary>Gets the session that holds the lock.</summary>
    public string SessionId { get; }

    /// <summary>Gets the key's <c>LockIndex</c> when it was acquired (part of the fencing sequencer).</summary>
    public ulong LockIndex { get; }

    /// <summary>Gets the key's <c>ModifyIndex</c> when it was acquired.</summary>
    public ulong ModifyIndex { get; }

    /// <summary>Gets the key.</summary>
    public string Key => _options.Key;

    /// <summary>Gets a token cancelled the moment the lock is lost (or released by <see cref="DisposeAsync"/>).</summary>
    public CancellationToken LostToken => _lost.Token;

    /// <summary>Gets why the lock was lost, once it was.</summary>
    public string? LostReason { get; private set; }

    /// <summary>
    /// Creates a session and waits until the key is acquired: blocks on the key while another session holds it, and
    /// waits <see cref="ConsulLockOptions.LockDelayRetry"/> while a lock-delay refuses the acquire.
    /// </summary>
    /// <param name="client">The client.</param>
    /// <param name="options">The lock.</param>
    /// <param name="time">The clock for renewals and retries; default system.</param>
    /// <param name="logger">Logs acquire, renewal problems and loss.</param>
    /// <param name="cancellationToken">Gives up waiting (the session is destroyed).</param>
    /// <returns>The held lock; dispose it to release.</returns>
    public static async Task<ConsulLock> AcquireAsync(IConsulClient client, ConsulLockOptions options, TimeProvider? time = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Key);
        time ??= TimeProvider.System;
        logger ??= NullLogger.Instance;
        var sessionId = await client.CreateSessionAsync(new SessionRequest
        {
            Name = options.SessionName,
            Ttl = options.SessionTtl,
            LockDelay = options.LockDelay,
            Behavior = options.Behavior,
            NodeChecks = options.NodeChecks,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                // The session must stay alive while we wait for the key.
                if (await client.RenewSessionAsync(sessionId, cancellationToken).ConfigureAwait(false) is null)
                {
                    throw new ConsulException($"Consul session {sessionId} for lock {options.Key} expired while waiting for the lock.");
                }

                if (await client.PutKeyAsync(options.Key, options.Value, new KVWriteOptions { Acquire = sessionId }, cancellationToken).ConfigureAwait(false))
                {
                    var held = (await client.GetKeyAsync(options.Key, null, cancellationToken).ConfigureAwait(false)).Value;
                    if (held?.Session == sessionId)
                    {
                        var acquired = new ConsulLock(client, options, sessionId, held, time, logger);
                        Log.Acquired(logger, options.Key, sessionId, held.LockIndex);
                        acquired.Start();
                        return acquired;
                    }

                    continue;
                }

                var current = await client.GetKeyAsync(options.Key, null, cancellationToken).ConfigureAwait(false);
                if (current.Value?.Session is { Length: > 0 } holder)
                {
                    // Held by another session: block until the key changes (or the wait ends), then try again.
                    Log.Waiting(logger, options.Key, holder);
                    await client.GetKeyAsync(options.Key, new QueryOptions { Index = Math.Max(1, current.Meta.LastIndex), Wait = options.MonitorWait }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // Free yet refused: the previous holder's lock-delay. Spinning would not shorten it.
                    Log.LockDelay(logger, options.Key, options.LockDelayRetry);
                    await Task.Delay(options.LockDelayRetry, time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await client.DestroySessionAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops renewing and watching, releases the key and destroys the session (if the lock was not lost).</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _background.ConfigureAwait(false);
        var wasLost = _lost.IsCancellationRequested;
        SetLost("released");
        try
        {
            if (!wasLost)
            {
                await _client.PutKeyAsync(_options.Key, _options.Value, new KVWriteOptions { Release = SessionId }, CancellationToken.None).ConfigureAwait(false);
            }

            await _client.DestroySessionAsync(SessionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConsulException or HttpRequestException or TimeoutException)
        {
            // The session's TTL and behaviour clean up what could not be cleaned up here.
            Log.ReleaseFailed(_logger, _options.Key, e.Message);
        }

        // _lost stays undisposed on purpose: LostToken must keep working after release (it has no timer to free).
        _stopping.Dispose();
    }

    private void Start()
    {
        var stop = _stopping.Token;
        _background = Task.WhenAll(
            Task.Run(() => RenewLoopAsync(stop), CancellationToken.None),
            Task.Run(() => MonitorLoopAsync(stop), CancellationToken.None));
    }

    private async Task RenewLoopAsync(CancellationToken stop)
    {
        var ttl = _options.SessionTtl;
        var lastSuccess = _time.GetUtcNow();
        try
        {
            while (!_lost.IsCancellationRequested)
            {
                await Task.Delay(ttl / 2, _time, stop).ConfigureAwait(false);
                while (true)
                {
                    try
                    {
                        var session = await _client.RenewSessionAsync(SessionId, stop).ConfigureAwait(false);
                        if (session is null)
                        {
                            SetLost($"session {SessionId} expired (renew answered 404)");
                            return;
                        }

                        // Consul may hand back a longer TTL when it is busy: renew at half of that.
                        ttl = session.Ttl is { } returned && returned > TimeSpan.Zero ? returned : ttl;
                        lastSuccess = _time.GetUtcNow();
                        break;
                    }
                    catch (Exception e) when (e is ConsulException or HttpRequestException or TimeoutException or JsonException)
                    {
                        if (_time.GetUtcNow() - lastSuccess >= ttl)
                        {
                            SetLost($"session {SessionId} could not be renewed for a whole TTL ({ttl}): {e.Message}");
                            return;
                        }

                        Log.RenewFailed(_logger, _options.Key, e.Message);
                        await Task.Delay(_options.RetryDelay, _time, stop).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task MonitorLoopAsync(CancellationToken stop)
    {
        var index = ModifyIndex;
        try
        {
            while (!_lost.IsCancellationRequested)
            {
                QueryResult<KVPair?> result;
                try
                {
                    using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, _lost.Token);
                    result = await _client.GetKeyAsync(_options.Key, new QueryOptions { Index = Math.Max(1, index), Wait = _options.MonitorWait }, both.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ConsulException or HttpRequestException or TimeoutException or JsonException)
                {
                    // A failed read is not a loss: the renewal loop bounds an outage by the TTL.
                    Log.MonitorFailed(_logger, _options.Key, e.Message);
                    await Task.Delay(_options.RetryDelay, _time, stop).ConfigureAwait(false);
                    continue;
                }

                if (result.Value is not { } pair)
                {
                    SetLost($"key {_options.Key} was deleted");
                    return;
                }

                if (pair.Session != SessionId)
                {
                    SetLost(pair.Session is { Length: > 0 } other ? $"key {_options.Key} is held by session {other}" : $"key {_options.Key} was released");
                    return;
                }

                // Rules of blocking queries: reset when the index goes backwards.
                index = result.Meta.LastIndex < index ? 0 : result.Meta.LastIndex;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested || _lost.IsCancellationRequested)
        {
        }
    }

    private void SetLost(string reason)
    {
        lock (_lost)
        {
            if (_lost.IsCancellationRequested)
            {
                return;
            }

            LostReason = reason;
        }

        if (reason != "released")
        {
            Log.Lost(_logger, _options.Key, reason);
        }

        _lost.Cancel();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Consul lock {Key} acquired by session {Session} (LockIndex {LockIndex})")]
        public static partial void Acquired(ILogger logger, string key, string session, ulong lockIndex);

        [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Consul lock {Key} is held by session {Holder}; waiting")]
        public static partial void Waiting(ILogger logger, string key, string holder);

        [LoggerMessage(EventId = 32, Level = LogLevel.Debug, Message = "Consul lock {Key} is free but in its lock-delay; retrying in {Delay}")]
        public static partial void LockDelay(ILogger logger, string key, TimeSpan delay);

        [LoggerMessage(EventId = 33, Level = LogLevel.Error, Message = "Consul lock {Key} LOST: {Reason}")]
        public static partial void Lost(ILogger logger, string key, string reason);

        [LoggerMessage(EventId = 34, Level = LogLevel.Warning, Message = "Consul lock {Key}: session renewal failed, retrying: {Error}")]
        public static partial void RenewFailed(ILogger logger, string key, string error);

        [LoggerMessage(EventId = 35, Level = LogLevel.Warning, Message = "Consul lock {Key}: watching the key failed, retrying: {Error}")]
        public static partial void MonitorFailed(ILogger logger, string key, string error);

        [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "Consul lock {Key}: release failed; the session TTL will free it: {Error}")]
        public static partial void ReleaseFailed(ILogger logger, string key, string error);
    }
}
