using LoadBalancing.Model;

namespace LoadBalancing.Client.Http;

/// <summary>Options of one named HttpClient's load balancing (<c>IHttpClientBuilder.AddLoadBalancing</c>); validated when the host starts.</summary>
public sealed class HttpLoadBalancingOptions
{
    /// <summary>The most <see cref="MaxConnectRetries"/> may be.</summary>
    public const int MaxConnectRetriesLimit = 10;

    /// <summary>
    /// Gets or sets the virtual service whose real servers take the requests. When <see langword="null"/> (the default),
    /// each request names it: TCP, the request URI's host (an IP address, e.g. the service's VIP) and port.
    /// </summary>
    public VirtualServiceKey? VirtualService { get; set; }

    /// <summary>
    /// Gets or sets the request header whose value the hashing schedulers (sh, mh, dh) hash, so requests with the same
    /// value go to the same server; <see langword="null"/> (the default) hashes nothing.
    /// </summary>
    public string? HashKeyHeader { get; set; }

    /// <summary>Gets or sets a value indicating whether a 5xx answer counts as a failure of the server for passive health; <see langword="true"/> by default.</summary>
    public bool ServerErrorsAreFailures { get; set; } = true;

    /// <summary>
    /// Gets or sets how many times a request whose connect failed (nothing was sent) is sent to another server, for
    /// idempotent methods only (GET, HEAD, OPTIONS, TRACE, PUT, DELETE); 0 to 10, 2 by default.
    /// </summary>
    public int MaxConnectRetries { get; set; } = 2;

    /// <summary>
    /// Gets or sets how long one attempt may wait for the response headers before it is given up and reported as a
    /// <c>Timeout</c> failure of its server (the caller gets a <see cref="TaskCanceledException"/> whose inner exception is a
    /// <see cref="TimeoutException"/>); <see langword="null"/> (the default) for no limit but the HttpClient's own timeout,
    /// which, like any cancellation by the caller, is not held against the server.
    /// </summary>
    public TimeSpan? AttemptTimeout { get; set; }
}
