using System.Collections.Immutable;

namespace LoadBalancing.Health.Nfs;

/// <summary>One entry of a server's export list.</summary>
/// <param name="Path">The exported directory.</param>
/// <param name="Groups">The hosts or groups allowed; empty means everyone.</param>
internal sealed record NfsExport(string Path, ImmutableArray<string> Groups);
