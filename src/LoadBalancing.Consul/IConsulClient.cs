using LoadBalancing.Consul.Model;
using LoadBalancing.Consul.Watch;

namespace LoadBalancing.Consul;

/// <summary>
/// The Consul HTTP API calls LoadBalancing uses. Every method throws <see cref="ConsulException"/> for an
/// unexpected status (with Consul's error text), <see cref="TimeoutException"/> when the call's own timeout
/// passed, <see cref="OperationCanceledException"/> when the caller cancelled, and
/// <see cref="HttpRequestException"/> when the agent could not be reached. Nothing is retried here except in
/// <see cref="WatchServiceHealthAsync"/>.
/// </summary>
public interface IConsulClient : IDisposable
{
    /// <summary>
    /// <c>PUT /v1/agent/service/register</c>. With <paramref name="replaceExistingChecks"/> the agent drops checks
    /// missing from <paramref name="registration"/>, which makes re-registration idempotent.
    /// </summary>
    /// <param name="registration">The service and its checks.</param>
    /// <param name="replaceExistingChecks">Send <c>?replace-existing-checks=true</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent accepted the registration.</returns>
    Task RegisterServiceAsync(ServiceRegistration registration, bool replaceExistingChecks = true, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/agent/service/deregister/:id</c>.</summary>
    /// <param name="serviceId">The service instance ID (not the name).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when deregistered, <see langword="false"/> when the agent answered 404 (already gone).</returns>
    Task<bool> DeregisterServiceAsync(string serviceId, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/agent/service/maintenance/:id?enable=&amp;reason=</c>: take an instance out of (or back into) rotation.</summary>
    /// <param name="serviceId">The service instance ID.</param>
    /// <param name="enable">Enter (<see langword="true"/>) or leave maintenance.</param>
    /// <param name="reason">Shown to operators as the maintenance check's notes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent applied the change.</returns>
    Task SetServiceMaintenanceAsync(string serviceId, bool enable, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports a TTL check: <c>PUT /v1/agent/check/pass|warn|fail/:id?note=</c>. A 404 (unknown check) or a 500
    /// "does not have associated TTL" means the agent lost the registration: register again.
    /// </summary>
    /// <param name="checkId">The check ID.</param>
    /// <param name="status">Passing, warning or critical.</param>
    /// <param name="note">Stored as the check's output.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent recorded the status.</returns>
    Task ReportTtlAsync(string checkId, HealthStatus status, string? note = null, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/agent/check/update/:id</c> with <c>{"Status", "Output"}</c>.</summary>
    /// <param name="checkId">The check ID.</param>
    /// <param name="status">Passing, warning or critical.</param>
    /// <param name="output">Output text.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent recorded the status.</returns>
    Task UpdateTtlAsync(string checkId, HealthStatus status, string? output = null, CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/agent/services</c>: the services registered on this agent, keyed by ID.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The services.</returns>
    Task<IReadOnlyDictionary<string, AgentService>> GetAgentServicesAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/agent/checks</c>: the checks registered on this agent, keyed by ID.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The checks.</returns>
    Task<IReadOnlyDictionary<string, HealthCheck>> GetAgentChecksAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/health/service/:service</c> (blocking capable). An unknown service is an empty list.</summary>
    /// <param name="service">The service name.</param>
    /// <param name="query">Filters.</param>
    /// <param name="options">Blocking parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The instances and the response metadata.</returns>
    Task<QueryResult<IReadOnlyList<ServiceEntry>>> GetServiceHealthAsync(string service, HealthServiceQuery? query = null, QueryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/catalog/services</c> (blocking capable): service names and the union of their tags.</summary>
    /// <param name="filter">Optional go-bexpr filter.</param>
    /// <param name="options">Blocking parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The services and the response metadata.</returns>
    Task<QueryResult<IReadOnlyDictionary<string, IReadOnlyList<string>>>> GetCatalogServicesAsync(string? filter = null, QueryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/session/create</c>.</summary>
    /// <param name="request">The session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session ID.</returns>
    Task<string> CreateSessionAsync(SessionRequest request, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/session/renew/:id</c>. Renew at half of the returned TTL, which may exceed the requested one.</summary>
    /// <param name="sessionId">The session ID.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session, or <see langword="null"/> when Consul answered 404: the session expired and its locks are lost.</returns>
    Task<SessionInfo?> RenewSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /v1/session/destroy/:id</c> (idempotent).</summary>
    /// <param name="sessionId">The session ID.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Consul's answer (<see langword="true"/>).</returns>
    Task<bool> DestroySessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/session/info/:id</c> (blocking capable).</summary>
    /// <param name="sessionId">The session ID.</param>
    /// <param name="options">Blocking parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session, or <see langword="null"/> when it does not exist.</returns>
    Task<QueryResult<SessionInfo?>> GetSessionAsync(string sessionId, QueryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>GET /v1/kv/:key</c> (blocking capable; blocking on a missing key works too).</summary>
    /// <param name="key">The key, without a leading <c>/</c>.</param>
    /// <param name="options">Blocking parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entry, or <see langword="null"/> when the key does not exist (404).</returns>
    Task<QueryResult<KVPair?>> GetKeyAsync(string key, QueryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>PUT /v1/kv/:key</c>, optionally with <c>?acquire=</c>, <c>?release=</c> or <c>?cas=</c>. After an
    /// ambiguous failure of an acquire, read the key and compare its session instead of retrying blindly.
    /// </summary>
    /// <param name="key">The key, without a leading <c>/</c>.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Lock/CAS parameters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="false"/> when the write was not applied (lock held or in lock-delay, CAS index mismatch).</returns>
    Task<bool> PutKeyAsync(string key, ReadOnlyMemory<byte> value, KVWriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows <c>/v1/health/service/:service</c> with blocking queries and yields each new instance set (ordered by
    /// node and service ID) with its index. Errors do not end the sequence: it yields the last good set marked
    /// <see cref="ServiceHealthUpdate.IsStale"/> with the error, backs off with jitter and retries; only a 400
    /// (a malformed query) and cancellation end it with an exception.
    /// </summary>
    /// <param name="service">The service name.</param>
    /// <param name="query">Filters.</param>
    /// <param name="options">Wait, back-off and rate-limit settings.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The updates.</returns>
    IAsyncEnumerable<ServiceHealthUpdate> WatchServiceHealthAsync(string service, HealthServiceQuery? query = null, ConsulWatchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows <c>/v1/catalog/services</c> with blocking queries and yields each new service list with its index, with
    /// the same error handling as <see cref="WatchServiceHealthAsync"/> (stale updates keep the last good list).
    /// </summary>
    /// <param name="filter">Optional go-bexpr filter.</param>
    /// <param name="options">Wait, back-off and rate-limit settings.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The updates.</returns>
    IAsyncEnumerable<CatalogServicesUpdate> WatchCatalogServicesAsync(string? filter = null, ConsulWatchOptions? options = null, CancellationToken cancellationToken = default);
}
