using System.Collections.Immutable;

namespace LoadBalancing.Health.Probes;

/// <summary>Options of the HTTP/HTTPS GET probe (keepalived <c>HTTP_GET</c> / <c>SSL_GET</c>).</summary>
public sealed record HttpProbeOptions
{
    /// <summary>Gets a value indicating whether to use TLS (<c>SSL_GET</c>).</summary>
    public bool UseTls { get; init; }

    /// <summary>Gets the port to connect to instead of the target's (<c>connect_port</c>); 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the request path (<c>url { path }</c>); <c>/</c> by default.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Gets the status codes that count as up (<c>status_code</c>); empty means any 2xx.</summary>
    public ImmutableArray<int> ExpectedStatusCodes { get; init; } = [];

    /// <summary>
    /// Gets the expected MD5 digest of the body as 32 hex digits (keepalived <c>digest</c>, as printed by
    /// <c>genhash</c>); <see langword="null"/> skips the body check.
    /// </summary>
    public string? Digest { get; init; }

    /// <summary>Gets the <c>Host</c> header (<c>virtualhost</c>); the target's address and port by default.</summary>
    public string? Host { get; init; }

    /// <summary>
    /// Gets the TLS server name (<c>sni_server_name</c>). SocketsHttpHandler sends the <see cref="Host"/> name as
    /// SNI when a Host header is set, so both must agree when both are given.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>Gets a value indicating whether the server certificate is verified; off by default, as keepalived's <c>SSL_GET</c> without a CA.</summary>
    public bool VerifyCertificate { get; init; }

    /// <summary>Gets the connect timeout, TLS handshake included (<c>connect_timeout</c>); 5 s by default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the time allowed from the request to the end of the body once connected; 5 s by default.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the largest body read for the digest; a longer body is a failure. 1 MiB by default.</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;
}
