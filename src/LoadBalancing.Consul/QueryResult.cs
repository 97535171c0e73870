namespace LoadBalancing.Consul;

/// <summary>A read's value together with its <see cref="QueryMeta"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Meta">The response metadata.</param>
public sealed record QueryResult<T>(T Value, QueryMeta Meta);
