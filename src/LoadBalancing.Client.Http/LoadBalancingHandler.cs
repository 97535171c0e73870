using System.Net;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Http;

/// <summary>
/// Sends each request to a real server of a virtual service, chosen by the service's IPVS scheduler and weights:
/// rewrites the request URI's host and port, counts the request as active on the server while it is in flight (until
/// the response headers), reports the outcome to passive health checking and sends an idempotent request whose
/// connect failed to another server, at most <see cref="HttpLoadBalancingOptions.MaxConnectRetries"/> times.
/// </summary>
internal sealed partial class LoadBalancingHandler : DelegatingHandler
{
    private readonly ClientServices _services;
    private readonly HttpLoadBalancingOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public LoadBalancingHandler(ClientServices services, HttpLoadBalancingOptions options, TimeProvider timeProvider, ILogger<LoadBalancingHandler> logger)
    {
        _services = services;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri ?? throw new InvalidOperationException("The request has no URI: set HttpClient.BaseAddress or an absolute request URI.");
        if (!original.IsAbsoluteUri)
        {
            throw new InvalidOperationException($"The request URI '{original}' is relative: set HttpClient.BaseAddress or an absolute request URI.");
        }

        var key = _options.VirtualService ?? KeyOf(original);
        if (!_services.TryGetService(key, out var service))
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Virtual service {key} is not in the service table; add it (AddStaticServices, a rules file or discovery) or set {nameof(HttpLoadBalancingOptions.VirtualService)}.", statusCode: HttpStatusCode.ServiceUnavailable);
        }

        var hashKey = _options.HashKeyHeader is { } header && request.Headers.TryGetValues(header, out var values) ? values.FirstOrDefault() : null;
        var scheduling = ClientScheduling.CreateRequest(key, hashKey);
        var retries = IsIdempotent(request.Method) ? _options.MaxConnectRetries : 0;
        RealServerState? failed = null;
        for (var attempt = 0; ; attempt++)
        {
            var destination = Pick(service, scheduling, failed);
            if (destination is null)
            {
                Log.NoServer(_logger, key);
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"No real server of {key} is available (all quiesced, ejected or down).", statusCode: HttpStatusCode.ServiceUnavailable);
            }

            request.RequestUri = Rewrite(original, destination);
            destination.AcquireActive();
            HttpResponseMessage response;
            using var timer = _options.AttemptTimeout is { } timeout ? new CancellationTokenSource(timeout, _timeProvider) : null;
            using var linked = timer is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                response = await base.SendAsync(request, linked?.Token ?? cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var timedOut = timer?.IsCancellationRequested == true;
                var failure = timedOut ? PassiveFailure.Timeout : ClientFailures.Classify(e);
                _services.Reporter?.ReportFailure(destination, failure);
                if (timedOut)
                {
                    Log.Failed(_logger, key, destination, failure, e);
                    var message = $"No answer from {destination} of {key} within {_options.AttemptTimeout!.Value.TotalMilliseconds} ms ({nameof(HttpLoadBalancingOptions.AttemptTimeout)}).";
                    throw new TaskCanceledException(message, new TimeoutException(message, e));
                }

                if (attempt < retries && ClientFailures.IsConnectFailure(e))
                {
                    Log.Retrying(_logger, key, destination, failure, attempt + 1, retries);
                    failed = destination;
                    continue;
                }

                Log.Failed(_logger, key, destination, failure, e);
                throw;
            }
            finally
            {
                destination.ReleaseActive();
            }

            if (_options.ServerErrorsAreFailures && (int)response.StatusCode >= 500)
            {
                _services.Reporter?.ReportFailure(destination, PassiveFailure.Other);
            }
            else
            {
                _services.Reporter?.ReportSuccess(destination);
            }

            return response;
        }
    }

    // The scheduler may pick the server whose connect just failed again (lc, sh): ask again, at most once per server,
    // then take it anyway; its failure is reported and ejection will take it out.
    private static RealServerState? Pick(VirtualServiceState service, in Scheduling.SchedulingRequest scheduling, RealServerState? failed)
    {
        var destination = service.Schedule(in scheduling);
        for (var i = 0; failed is not null && ReferenceEquals(destination, failed) && i < service.Destinations.Length; i++)
        {
            destination = service.Schedule(in scheduling);
        }

        return destination;
    }

    private static VirtualServiceKey KeyOf(Uri uri)
    {
        if (!IPAddress.TryParse(uri.IdnHost, out var address))
        {
            throw new InvalidOperationException($"The request URI '{uri}' does not name a virtual service: its host must be the service's IP address, or set {nameof(HttpLoadBalancingOptions.VirtualService)}.");
        }

        return VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.FromIPAddress(address), (ushort)uri.Port);
    }

    private static Uri Rewrite(Uri original, RealServerState destination)
        => new UriBuilder(original) { Host = destination.Address.IsIPv6 ? $"[{destination.Address}]" : destination.Address.ToString(), Port = destination.Port }.Uri;

    private static bool IsIdempotent(HttpMethod method)
        => method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options || method == HttpMethod.Trace
            || method == HttpMethod.Put || method == HttpMethod.Delete;

    private static partial class Log
    {
        [LoggerMessage(EventId = 6100, Level = LogLevel.Warning, Message = "No real server of {Service} is available for an HTTP request")]
        public static partial void NoServer(ILogger logger, VirtualServiceKey service);

        [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Connect to {Destination} of {Service} failed ({Failure}); sending the request to another server (retry {Retry} of {MaxRetries})")]
        public static partial void Retrying(ILogger logger, VirtualServiceKey service, RealServerState destination, PassiveFailure failure, int retry, int maxRetries);

        [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "HTTP request to {Destination} of {Service} failed ({Failure})")]
        public static partial void Failed(ILogger logger, VirtualServiceKey service, RealServerState destination, PassiveFailure failure, Exception exception);
    }
}
