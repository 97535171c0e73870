using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Internal;

internal sealed partial class ConsulClient
{
    public async Task<string> CreateSessionAsync(SessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var body = JsonBody(request, ConsulJsonContext.Default.SessionRequest);
        var query = new QueryStringBuilder().Add("dc", Datacenter(null));
        var response = await SendAsync(HttpMethod.Put, "v1/session/create", query, body, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(response, ConsulJsonContext.Default.SessionCreated).Id;
    }

    public async Task<SessionInfo?> RenewSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var path = "v1/session/renew/" + ConsulPath.Segment(sessionId, nameof(sessionId));
        var query = new QueryStringBuilder().Add("dc", Datacenter(null));
        var response = await SendAsync(HttpMethod.Put, path, query, null, _options.RequestTimeout, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : Parse(response, ConsulJsonContext.Default.ListSessionInfo).FirstOrDefault();
    }

    public async Task<bool> DestroySessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        var path = "v1/session/destroy/" + ConsulPath.Segment(sessionId, nameof(sessionId));
        var query = new QueryStringBuilder().Add("dc", Datacenter(null));
        var response = await SendAsync(HttpMethod.Put, path, query, null, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(response, ConsulJsonContext.Default.Boolean);
    }

    public async Task<QueryResult<SessionInfo?>> GetSessionAsync(string sessionId, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/session/info/" + ConsulPath.Segment(sessionId, nameof(sessionId));
        var query = new QueryStringBuilder().Add("dc", Datacenter(options?.Datacenter));
        var timeout = AddBlocking(query, options);
        var response = await SendAsync(HttpMethod.Get, path, query, null, timeout, cancellationToken).ConfigureAwait(false);
        return new(Parse(response, ConsulJsonContext.Default.ListSessionInfo).FirstOrDefault(), response.Meta);
    }

    public async Task<QueryResult<KVPair?>> GetKeyAsync(string key, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/kv/" + ConsulPath.Key(key);
        var query = new QueryStringBuilder().Add("dc", Datacenter(options?.Datacenter));
        var timeout = AddBlocking(query, options);

        // A missing key is 404 with an empty body but still carries X-Consul-Index, so one can block on it.
        var response = await SendAsync(HttpMethod.Get, path, query, null, timeout, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        var pair = response.StatusCode == HttpStatusCode.NotFound ? null : Parse(response, ConsulJsonContext.Default.ListKVPair).FirstOrDefault();
        return new(pair, response.Meta);
    }

    public async Task<bool> PutKeyAsync(string key, ReadOnlyMemory<byte> value, KVWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/kv/" + ConsulPath.Key(key);
        if ((options?.Acquire is not null ? 1 : 0) + (options?.Release is not null ? 1 : 0) + (options?.Cas is not null ? 1 : 0) > 1)
        {
            throw new ArgumentException("Use at most one of Acquire, Release and Cas.", nameof(options));
        }

        var query = new QueryStringBuilder()
            .Add("acquire", options?.Acquire)
            .Add("release", options?.Release)
            .Add("cas", options?.Cas?.ToString(CultureInfo.InvariantCulture))
            .Add("flags", options?.Flags?.ToString(CultureInfo.InvariantCulture))
            .Add("dc", Datacenter(options?.Datacenter));
        using var body = new ReadOnlyMemoryContent(value);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await SendAsync(HttpMethod.Put, path, query, body, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(response, ConsulJsonContext.Default.Boolean);
    }
}
