using System.Text.Json.Serialization;
using LoadBalancing.Consul.Internal;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// A health check registered with a service (<c>Check</c>/<c>Checks</c> of <c>/v1/agent/service/register</c>).
/// Set exactly one check type: <see cref="Http"/>, <see cref="Tcp"/>, <see cref="Grpc"/>, <see cref="Ttl"/>
/// (or a script via <see cref="Args"/>). Unset (<see langword="null"/>) fields are not sent, so the agent's
/// defaults apply; note that a new check starts <c>critical</c> unless <see cref="Status"/> says otherwise.
/// </summary>
public sealed record CheckDefinition
{
    /// <summary>Check ID; set it explicitly (e.g. <c>&lt;serviceID&gt;:ttl</c>) instead of relying on <c>service:&lt;id&gt;[:n]</c>.</summary>
    [JsonPropertyName("CheckID")]
    public string? CheckId { get; init; }

    /// <summary>Human-readable check name.</summary>
    [JsonPropertyName("Name")]
    public string? Name { get; init; }

    /// <summary>Free text for operators.</summary>
    [JsonPropertyName("Notes")]
    public string? Notes { get; init; }

    /// <summary>Initial status: <c>passing</c>, <c>warning</c> or <c>critical</c> (the agent's default).</summary>
    [JsonPropertyName("Status")]
    public string? Status { get; init; }

    /// <summary>HTTP check URL; 2xx is passing, 429 warning, anything else critical.</summary>
    [JsonPropertyName("HTTP")]
    public string? Http { get; init; }

    /// <summary>HTTP method of an HTTP check (default GET).</summary>
    [JsonPropertyName("Method")]
    public string? Method { get; init; }

    /// <summary>HTTP headers of an HTTP check.</summary>
    [JsonPropertyName("Header")]
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Header { get; init; }

    /// <summary>HTTP request body of an HTTP check.</summary>
    [JsonPropertyName("Body")]
    public string? Body { get; init; }

    /// <summary>Do not follow redirects in an HTTP check.</summary>
    [JsonPropertyName("DisableRedirects")]
    public bool? DisableRedirects { get; init; }

    /// <summary>TLS server name (SNI) for HTTPS and gRPC-over-TLS checks.</summary>
    [JsonPropertyName("TLSServerName")]
    public string? TlsServerName { get; init; }

    /// <summary>Skip certificate verification in HTTPS and gRPC-over-TLS checks.</summary>
    [JsonPropertyName("TLSSkipVerify")]
    public bool? TlsSkipVerify { get; init; }

    /// <summary>TCP check target <c>host:port</c>; a successful connect is passing.</summary>
    [JsonPropertyName("TCP")]
    public string? Tcp { get; init; }

    /// <summary>Use TLS for the TCP check.</summary>
    [JsonPropertyName("TCPUseTLS")]
    public bool? TcpUseTls { get; init; }

    /// <summary>gRPC health-protocol check target <c>host:port[/service]</c>.</summary>
    [JsonPropertyName("GRPC")]
    public string? Grpc { get; init; }

    /// <summary>Use TLS for the gRPC check.</summary>
    [JsonPropertyName("GRPCUseTLS")]
    public bool? GrpcUseTls { get; init; }

    /// <summary>TTL check: the application must report (pass/warn/fail/update) within this time or the check goes critical.</summary>
    [JsonPropertyName("TTL")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Ttl { get; init; }

    /// <summary>Script check arguments (disabled on agents unless <c>enable_script_checks</c>).</summary>
    [JsonPropertyName("Args")]
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>Docker container of a Docker check.</summary>
    [JsonPropertyName("DockerContainerID")]
    public string? DockerContainerId { get; init; }

    /// <summary>Shell of a Docker check.</summary>
    [JsonPropertyName("Shell")]
    public string? Shell { get; init; }

    /// <summary>Check interval; required for HTTP, TCP, gRPC and script checks.</summary>
    [JsonPropertyName("Interval")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Interval { get; init; }

    /// <summary>Check timeout (agent default 10 s).</summary>
    [JsonPropertyName("Timeout")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Remove the service and its checks after the check has been critical this long (minimum 1 minute;
    /// the agent's reaper runs every 30 s). Always set it so a crashed real server does not linger.
    /// </summary>
    [JsonPropertyName("DeregisterCriticalServiceAfter")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? DeregisterCriticalServiceAfter { get; init; }

    /// <summary>Consecutive successes before the check turns passing (keepalived's rise).</summary>
    [JsonPropertyName("SuccessBeforePassing")]
    public int? SuccessBeforePassing { get; init; }

    /// <summary>Consecutive failures before the check turns warning.</summary>
    [JsonPropertyName("FailuresBeforeWarning")]
    public int? FailuresBeforeWarning { get; init; }

    /// <summary>Consecutive failures before the check turns critical (keepalived's fall).</summary>
    [JsonPropertyName("FailuresBeforeCritical")]
    public int? FailuresBeforeCritical { get; init; }
}
