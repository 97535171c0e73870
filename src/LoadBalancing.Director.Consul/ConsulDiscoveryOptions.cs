namespace LoadBalancing.Director.Consul;

/// <summary>Options of the Consul discovery provider (configuration section <c>Director:Consul</c> in the sample host).</summary>
public sealed class ConsulDiscoveryOptions
{
    /// <summary>
    /// Gets the Consul service names to follow. Empty (the default): every service in the catalog that carries an
    /// <c>lb.vs=</c> tag, followed through a blocking query on <c>/v1/catalog/services</c>.
    /// </summary>
    public IList<string> Services { get; } = [];

    /// <summary>Gets or sets the provider's name in logs and as its layer in the director table; <c>consul</c> by default.</summary>
    public string ProviderName { get; set; } = "consul";

    /// <summary>
    /// Gets or sets how long an instance that turned critical (or entered maintenance) stays in the table with weight 0
    /// (quiesced: its connections finish, no new ones) before it is removed; 30 s by default.
    /// </summary>
    public TimeSpan CriticalGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the blocking-query wait; 5 minutes by default (Consul's own default; at most 10 minutes).</summary>
    public TimeSpan Wait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the first retry delay after a failed query (doubling, jittered); 1 s by default.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest retry delay; 30 s by default.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the refill interval of each watch's token bucket (burst 2): under churn a watch degrades to one
    /// query per interval. 1 s by default, which keeps "a new instance shows up within a second".
    /// </summary>
    public TimeSpan RateLimitInterval { get; set; } = TimeSpan.FromSeconds(1);
}
