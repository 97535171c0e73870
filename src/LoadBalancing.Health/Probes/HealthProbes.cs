namespace LoadBalancing.Health.Probes;

/// <summary>Creates the built-in probes.</summary>
public static class HealthProbes
{
    /// <summary>TCP connect (keepalived <c>TCP_CHECK</c>).</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for timeouts; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe Tcp(TcpProbeOptions? options = null, TimeProvider? timeProvider = null)
        => new TcpProbe(options ?? new(), timeProvider ?? TimeProvider.System);

    /// <summary>
    /// HTTP or HTTPS GET (keepalived <c>HTTP_GET</c>/<c>SSL_GET</c>). The probe owns an HTTP handler; dispose it
    /// (it implements <see cref="IDisposable"/>) when it is no longer used.
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for the read timeout; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    /// <exception cref="ArgumentException">The digest is not 32 hex digits, or the Host and server names disagree.</exception>
    public static IHealthProbe Http(HttpProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Digest is { } digest && (digest.Length != 32 || !digest.All(char.IsAsciiHexDigit)))
        {
            throw new ArgumentException($"{nameof(HttpProbeOptions.Digest)} must be an MD5 digest of 32 hex digits.", nameof(options));
        }

        if (options.Host is { } host && options.ServerName is { } sni && !string.Equals(host.Split(':')[0], sni, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{nameof(HttpProbeOptions.ServerName)} must match {nameof(HttpProbeOptions.Host)}: the TLS client sends the Host name as SNI.", nameof(options));
        }

        return new HttpProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>UDP datagram with an optional required reply (keepalived <c>UDP_CHECK</c>).</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for the timeout; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe Udp(UdpProbeOptions? options = null, TimeProvider? timeProvider = null)
        => new UdpProbe(options ?? new(), timeProvider ?? TimeProvider.System);

    /// <summary>DNS query over UDP (keepalived <c>DNS_CHECK</c>).</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for the timeout; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe Dns(DnsProbeOptions? options = null, TimeProvider? timeProvider = null)
        => new DnsProbe(options ?? new(), timeProvider ?? TimeProvider.System);

    /// <summary>Runs a program (keepalived <c>MISC_CHECK</c>), never through a shell.</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for the timeout; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe Exec(ExecProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.FileName);
        return new ExecProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Is an export listed by the server's MOUNT service (what <c>showmount -e</c> asks)?</summary>
    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock for the timeout; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe NfsExport(NfsExportProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ExportPath);
        return new NfsExportProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// gRPC health (<c>grpc.health.v1.Health/Check</c>) through Grpc.Net.Client; up when SERVING. The probe keeps one
    /// channel per target; dispose it (it implements <see cref="IDisposable"/>) when no longer used.
    /// </summary>
    /// <param name="options">The options; defaults (whole server, h2c) when <see langword="null"/>.</param>
    /// <returns>The probe.</returns>
    public static IHealthProbe Grpc(GrpcHealthProbeOptions? options = null) => new GrpcHealthProbe(options ?? new());
}
