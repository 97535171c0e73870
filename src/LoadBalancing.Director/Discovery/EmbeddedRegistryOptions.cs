namespace LoadBalancing.Director.Discovery;

/// <summary>Options of the director's embedded registry (configuration section <c>Director:Registry</c> in the sample host).</summary>
public sealed class EmbeddedRegistryOptions
{
    /// <summary>Gets or sets the provider's name in logs and as its layer in the director table; <c>registry</c> by default.</summary>
    public string ProviderName { get; set; } = "registry";

    /// <summary>Gets or sets the most instances the registry accepts; 4096 by default. A registration beyond it is refused (RESOURCE_EXHAUSTED).</summary>
    public int MaxInstances { get; set; } = 4096;

    /// <summary>Gets or sets the shortest heartbeat TTL accepted; 1 s by default.</summary>
    public TimeSpan MinTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how long an instance may stay critical before it is removed when its registration does not say; 60 s by default.</summary>
    public TimeSpan DefaultDeregisterCriticalAfter { get; set; } = TimeSpan.FromMinutes(1);
}
