namespace LoadBalancing.Model;

/// <summary>One problem in a configuration snapshot.</summary>
/// <param name="Path">Where: e.g. <c>services[TCP 10.0.0.1:80].realServers[10.0.0.2:80].weight</c>.</param>
/// <param name="Message">What is wrong and what was expected.</param>
public sealed record ConfigError(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}
