namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>A request as the test server received it.</summary>
internal sealed record RecordedRequest(
    string Method,
    string RawUrl,
    string Path,
    IReadOnlyList<KeyValuePair<string, string?>> Query,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    /// <summary>Reads a request's method, URL, query, headers and body, as the fakes record them.</summary>
    public static async Task<RecordedRequest> ReadAsync(System.Net.HttpListenerRequest request)
    {
        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body);
        var rawUrl = request.RawUrl ?? "/";
        var queryStart = rawUrl.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? rawUrl : rawUrl[..queryStart];
        var query = new List<KeyValuePair<string, string?>>();
        if (queryStart >= 0)
        {
            foreach (var part in rawUrl[(queryStart + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                query.Add(eq < 0
                    ? new(Uri.UnescapeDataString(part), null)
                    : new(Uri.UnescapeDataString(part[..eq]), Uri.UnescapeDataString(part[(eq + 1)..])));
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string? name in request.Headers.Keys)
        {
            if (name is not null)
            {
                headers[name] = request.Headers[name] ?? "";
            }
        }

        return new RecordedRequest(request.HttpMethod, rawUrl, path, query, headers, body.ToArray());
    }

    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The single value of a query parameter (null for "?flag" without '='); fails when absent or repeated.</summary>
    public string? QueryValue(string name) => Assert.Single(Query, p => p.Key == name).Value;

    public bool HasQuery(string name) => Query.Any(p => p.Key == name);

    public IEnumerable<string?> QueryValues(string name) => Query.Where(p => p.Key == name).Select(p => p.Value);
}
