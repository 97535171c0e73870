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
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The single value of a query parameter (null for "?flag" without '='); fails when absent or repeated.</summary>
    public string? QueryValue(string name) => Assert.Single(Query, p => p.Key == name).Value;

    public bool HasQuery(string name) => Query.Any(p => p.Key == name);

    public IEnumerable<string?> QueryValues(string name) => Query.Where(p => p.Key == name).Select(p => p.Value);
}
