using System.Text;

namespace LoadBalancing.Consul;

/// <summary>
/// How to reach the Consul agent. <see cref="FromEnvironment"/> reads the variables the <c>consul</c> CLI and
/// the Go client use (<c>CONSUL_HTTP_ADDR</c>, <c>CONSUL_HTTP_TOKEN</c>, <c>CONSUL_CACERT</c>, …).
/// </summary>
public sealed record ConsulClientOptions
{
    /// <summary>The longest blocking wait Consul honours (10 minutes).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Base address of the local agent, default <c>http://127.0.0.1:8500/</c>. May carry a path prefix for a
    /// reverse proxy (<c>https://gw/consul/</c>). <c>127.0.0.1</c> rather than <c>localhost</c>: a dev agent binds
    /// IPv4 loopback only and a <c>::1</c>-first resolver makes every call pay a connect fallback.
    /// </summary>
    public Uri Address { get; init; } = new("http://127.0.0.1:8500/");

    /// <summary>ACL token, sent as <c>X-Consul-Token</c> (never in the URL); <see langword="null"/> uses the agent's default token.</summary>
    public string? Token { get; init; }

    /// <summary>Datacenter for reads and writes that take <c>?dc=</c>; <see langword="null"/> is the agent's own.</summary>
    public string? Datacenter { get; init; }

    /// <summary>PEM file of the CA that signs the agent's certificate (<c>CONSUL_CACERT</c>); <see langword="null"/> uses the system store.</summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>PEM client certificate for agents with <c>verify_incoming</c> (<c>CONSUL_CLIENT_CERT</c>); needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/> (<c>CONSUL_CLIENT_KEY</c>).</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>Name to verify and send as SNI (<c>CONSUL_TLS_SERVER_NAME</c>); default: the address host.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Skip verification of the agent's certificate (<c>CONSUL_HTTP_SSL_VERIFY=false</c>). For tests only.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>Blocking wait when a query gives none (Consul's own default is 5 minutes; capped at <see cref="MaxWait"/>).</summary>
    public TimeSpan DefaultWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of a non-blocking call (writes, reads with index 0).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Added to a blocking call's timeout on top of <c>wait + wait/16</c> (Consul adds up to wait/16 of jitter
    /// to spread wake-ups) to cover network and server latency.
    /// </summary>
    public TimeSpan BlockingTimeoutMargin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Options from the environment, following the Go client's conventions: <c>CONSUL_HTTP_ADDR</c>
    /// (<c>host:port</c>, <c>http://…</c> or <c>https://…</c>), <c>CONSUL_HTTP_TOKEN_FILE</c> (wins) or
    /// <c>CONSUL_HTTP_TOKEN</c>, <c>CONSUL_HTTP_SSL</c> (Go bool; true switches to https and is never undone by
    /// an <c>http://</c> address), <c>CONSUL_HTTP_SSL_VERIFY</c>, <c>CONSUL_CACERT</c>, <c>CONSUL_CLIENT_CERT</c>,
    /// <c>CONSUL_CLIENT_KEY</c>, <c>CONSUL_TLS_SERVER_NAME</c>. Unset variables keep the defaults.
    /// </summary>
    /// <param name="getVariable">Reads a variable; default <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="FormatException">A variable has a value the Go client would also reject.</exception>
    public static ConsulClientOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => getVariable(name) is { Length: > 0 } value ? value : null;

        var useSsl = Get("CONSUL_HTTP_SSL") is { } ssl ? ParseGoBool(ssl, "CONSUL_HTTP_SSL") : (bool?)null;
        var verify = Get("CONSUL_HTTP_SSL_VERIFY") is { } v ? ParseGoBool(v, "CONSUL_HTTP_SSL_VERIFY") : true;
        var token = Get("CONSUL_HTTP_TOKEN_FILE") is { } tokenFile ? File.ReadAllText(tokenFile).Trim() : Get("CONSUL_HTTP_TOKEN");

        var options = new ConsulClientOptions
        {
            Address = ParseAddress(Get("CONSUL_HTTP_ADDR") ?? "127.0.0.1:8500", useSsl ?? false),
            Token = token,
            CaCertificateFile = Get("CONSUL_CACERT"),
            ClientCertificateFile = Get("CONSUL_CLIENT_CERT"),
            ClientKeyFile = Get("CONSUL_CLIENT_KEY"),
            TlsServerName = Get("CONSUL_TLS_SERVER_NAME"),
            InsecureSkipVerify = !verify,
        };
        if ((options.ClientCertificateFile is null) != (options.ClientKeyFile is null))
        {
            throw new FormatException("CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY must be set together.");
        }

        return options;
    }

    /// <summary>
    /// Parses a <c>CONSUL_HTTP_ADDR</c> value: <c>host:port</c> (scheme from <paramref name="useSsl"/>),
    /// <c>http://host:port[/prefix]</c> or <c>https://host:port[/prefix]</c>. As in the Go client,
    /// <paramref name="useSsl"/> turns an <c>http://</c> address into https but never the reverse.
    /// </summary>
    /// <param name="address">The address.</param>
    /// <param name="useSsl">Whether <c>CONSUL_HTTP_SSL</c> asked for TLS.</param>
    /// <returns>The base URI, ending with <c>/</c>.</returns>
    /// <exception cref="FormatException">An unknown scheme (including <c>unix://</c>, not supported here) or a malformed address.</exception>
    public static Uri ParseAddress(string address, bool useSsl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
        string scheme = useSsl ? "https" : "http";
        var rest = address;
        if (schemeEnd >= 0)
        {
            var given = address[..schemeEnd];
            rest = address[(schemeEnd + 3)..];
            scheme = given switch
            {
                "http" => scheme,
                "https" => "https",
                "unix" => throw new FormatException("CONSUL_HTTP_ADDR: unix:// sockets are not supported by this client."),
                _ => throw new FormatException($"CONSUL_HTTP_ADDR: unknown protocol scheme: {given}"),
            };
        }

        if (!Uri.TryCreate($"{scheme}://{rest}", UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FormatException($"CONSUL_HTTP_ADDR: not a valid address: {address}");
        }

        // A trailing slash makes the path prefix a directory, so relative "v1/..." URIs resolve under it.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    /// <summary>Go's <c>strconv.ParseBool</c>.</summary>
    private static bool ParseGoBool(string value, string variable) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new FormatException($"{variable}: not a boolean: {value}"),
    };

    // Records print every property; the token must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Address = ").Append(Address)
            .Append(", Token = ").Append(Token is null ? "(none)" : "(redacted)")
            .Append(", Datacenter = ").Append(Datacenter)
            .Append(", CaCertificateFile = ").Append(CaCertificateFile)
            .Append(", ClientCertificateFile = ").Append(ClientCertificateFile)
            .Append(", InsecureSkipVerify = ").Append(InsecureSkipVerify)
            .Append(", DefaultWait = ").Append(DefaultWait)
            .Append(", RequestTimeout = ").Append(RequestTimeout);
        return true;
    }
}
