using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Internal;

internal sealed partial class ConsulClient
{
    public async Task<QueryResult<IReadOnlyList<ServiceEntry>>> GetServiceHealthAsync(string service, HealthServiceQuery? query = null, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = "v1/health/service/" + ConsulPath.Segment(service, nameof(service));
        var parameters = new QueryStringBuilder();
        if (query?.PassingOnly == true)
        {
            // Presence means true; "1" as the Go client sends it.
            parameters.Add("passing", "1");
        }

        foreach (var tag in query?.Tags ?? [])
        {
            parameters.Add("tag", tag);
        }

        parameters.Add("filter", query?.Filter).Add("dc", Datacenter(options?.Datacenter ?? query?.Datacenter));
        var timeout = AddBlocking(parameters, options);
        var response = await SendAsync(HttpMethod.Get, path, parameters, null, timeout, cancellationToken).ConfigureAwait(false);
        return new(Parse(response, ConsulJsonContext.Default.ListServiceEntry), response.Meta);
    }

    public async Task<QueryResult<IReadOnlyDictionary<string, IReadOnlyList<string>>>> GetCatalogServicesAsync(string? filter = null, QueryOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parameters = new QueryStringBuilder().Add("filter", filter).Add("dc", Datacenter(options?.Datacenter));
        var timeout = AddBlocking(parameters, options);
        var response = await SendAsync(HttpMethod.Get, "v1/catalog/services", parameters, null, timeout, cancellationToken).ConfigureAwait(false);
        var services = Parse(response, ConsulJsonContext.Default.DictionaryStringListString);
        return new(services.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal), response.Meta);
    }
}
