namespace LoadBalancing.Cli;

/// <summary>The <c>-L --json</c> document.</summary>
internal sealed record JsonListing(string Version, int Size, IReadOnlyList<JsonService> Services);
