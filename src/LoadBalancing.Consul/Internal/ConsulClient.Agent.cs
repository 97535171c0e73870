using System.Net;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Internal;

internal sealed partial class ConsulClient
{
    public async Task RegisterServiceAsync(ServiceRegistration registration, bool replaceExistingChecks = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrEmpty(registration.Name, nameof(registration));
        var query = new QueryStringBuilder().Add("replace-existing-checks", replaceExistingChecks ? "true" : null);
        using var body = JsonBody(registration, ConsulJsonContext.Default.ServiceRegistration);
        await SendAsync(HttpMethod.Put, "v1/agent/service/register", query, body, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeregisterServiceAsync(string serviceId, CancellationToken cancellationToken = default)
    {
        // Current agents answer 404 "Unknown service ID" for a service that is already gone (consul PR #10632).
        var path = "v1/agent/service/deregister/" + ConsulPath.Segment(serviceId, nameof(serviceId));
        var response = await SendAsync(HttpMethod.Put, path, null, null, _options.RequestTimeout, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    public async Task SetServiceMaintenanceAsync(string serviceId, bool enable, string? reason = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/agent/service/maintenance/" + ConsulPath.Segment(serviceId, nameof(serviceId));
        var query = new QueryStringBuilder().Add("enable", enable ? "true" : "false").Add("reason", reason);
        await SendAsync(HttpMethod.Put, path, query, null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReportTtlAsync(string checkId, HealthStatus status, string? note = null, CancellationToken cancellationToken = default)
    {
        var verb = status switch
        {
            HealthStatus.Passing => "pass",
            HealthStatus.Warning => "warn",
            HealthStatus.Critical => "fail",
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "A TTL check can be passing, warning or critical."),
        };
        var path = $"v1/agent/check/{verb}/" + ConsulPath.Segment(checkId, nameof(checkId));
        await SendAsync(HttpMethod.Put, path, new QueryStringBuilder().Add("note", note), null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateTtlAsync(string checkId, HealthStatus status, string? output = null, CancellationToken cancellationToken = default)
    {
        var wire = status switch
        {
            HealthStatus.Passing => "passing",
            HealthStatus.Warning => "warning",
            HealthStatus.Critical => "critical",
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "A TTL check can be passing, warning or critical."),
        };
        var path = "v1/agent/check/update/" + ConsulPath.Segment(checkId, nameof(checkId));
        using var body = JsonBody(new CheckUpdate { Status = wire, Output = output }, ConsulJsonContext.Default.CheckUpdate);
        await SendAsync(HttpMethod.Put, path, null, body, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, AgentService>> GetAgentServicesAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, "v1/agent/services", null, null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(response, ConsulJsonContext.Default.DictionaryStringAgentService);
    }

    public async Task<IReadOnlyDictionary<string, HealthCheck>> GetAgentChecksAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, "v1/agent/checks", null, null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(response, ConsulJsonContext.Default.DictionaryStringHealthCheck);
    }
}
