using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Consul.Internal;

/// <summary>
/// The Consul HTTP client: one dedicated <see cref="HttpClient"/> with an infinite <see cref="HttpClient.Timeout"/>;
/// every call gets its own timeout on the <see cref="TimeProvider"/> (<see cref="ConsulClientOptions.RequestTimeout"/>,
/// or <c>wait + wait/16 + margin</c> for a blocking read).
/// </summary>
internal sealed partial class ConsulClient : IConsulClient
{
    private const string JsonMediaType = "application/json";

    private readonly HttpClient _http;
    private readonly ConsulClientOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<double> _jitter;

    public ConsulClient(ConsulClientOptions options, TimeProvider? timeProvider = null, ILogger? logger = null, Func<double>? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _jitter = jitter ?? Random.Shared.NextDouble;
        _http = new HttpClient(ConsulHttpHandlerFactory.Create(options), disposeHandler: true)
        {
            BaseAddress = options.Address,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public ConsulClientOptions Options => _options;

    public void Dispose() => _http.Dispose();

    private static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var content = new ByteArrayContent(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
        return content;
    }

    private static T Parse<T>(ConsulResponse response, JsonTypeInfo<T> typeInfo)
        => System.Text.Json.JsonSerializer.Deserialize(response.Body, typeInfo)
           ?? throw new ConsulException($"Consul answered JSON null where a {typeof(T).Name} was expected.");

    /// <summary>Adds <c>index</c>/<c>wait</c> for a blocking read and returns the call's timeout.</summary>
    private TimeSpan AddBlocking(QueryStringBuilder query, QueryOptions? options)
    {
        if (options is not { Index: > 0 })
        {
            return _options.RequestTimeout;
        }

        var wait = options.Wait ?? _options.DefaultWait;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero, "options.Wait");
        if (wait > ConsulClientOptions.MaxWait)
        {
            wait = ConsulClientOptions.MaxWait;
        }

        // Milliseconds like the Go client; a sub-millisecond wait rounds up to 1ms because "0" would mean the
        // server's default of 5 minutes.
        var milliseconds = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
        query.Add("index", options.Index.ToString(CultureInfo.InvariantCulture))
             .Add("wait", milliseconds.ToString(CultureInfo.InvariantCulture) + "ms");

        // Consul adds up to wait/16 of random jitter to the wait.
        return wait + (wait / 16) + _options.BlockingTimeoutMargin;
    }

    private string? Datacenter(string? perCall) => perCall ?? _options.Datacenter;

    private async Task<ConsulResponse> SendAsync(
        HttpMethod method,
        string path,
        QueryStringBuilder? query,
        HttpContent? content,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        HttpStatusCode? alsoAccept = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path + query, UriKind.Relative)) { Content = content };
        if (_options.Token is { Length: > 0 } token)
        {
            request.Headers.TryAddWithoutValidation("X-Consul-Token", token);
        }

        using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode && response.StatusCode != alsoAccept)
            {
                throw new ConsulException(response.StatusCode, Encoding.UTF8.GetString(body), method.Method, "/" + path);
            }

            return new ConsulResponse(response.StatusCode, body, ReadMeta(response.Headers));
        }
        catch (OperationCanceledException e) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Consul {method.Method} /{path} did not answer within {timeout}.", e);
        }
    }

    private static QueryMeta ReadMeta(HttpResponseHeaders headers)
    {
        string? Header(string name) => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

        return new QueryMeta
        {
            LastIndex = ulong.TryParse(Header("X-Consul-Index"), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : 0,
            KnownLeader = Header("X-Consul-KnownLeader") is { } leader ? string.Equals(leader, "true", StringComparison.OrdinalIgnoreCase) : null,
            LastContact = long.TryParse(Header("X-Consul-LastContact"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? TimeSpan.FromMilliseconds(ms) : null,
            EffectiveConsistency = Header("X-Consul-Effective-Consistency"),
            QueryBackend = Header("X-Consul-Query-Backend"),
            DefaultAclPolicy = Header("X-Consul-Default-ACL-Policy"),
            ResultsFilteredByAcls = string.Equals(Header("X-Consul-Results-Filtered-By-ACLs"), "true", StringComparison.OrdinalIgnoreCase),
        };
    }
}
