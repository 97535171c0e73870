using System.Globalization;
using System.Net;
using Grpc.Core;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>
/// Sits between the channel and its <see cref="SocketsHttpHandler"/> and notes a call's status when the server answered
/// without any message (a trailers-only answer carries <c>grpc-status</c> in the headers, or a proxy's 502/503/504), so
/// that <see cref="CallTracker"/> can report it: the channel's balancer sees only the HTTP response.
/// </summary>
internal sealed class GrpcStatusHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public static readonly HttpRequestOptionsKey<StatusCode> StatusKey = new("lb.grpc-status");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues("grpc-status", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            request.Options.Set(StatusKey, (StatusCode)code);
        }
        else if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
        {
            // gRPC's HTTP-to-status mapping (doc/http-grpc-status-mapping.md).
            request.Options.Set(StatusKey, StatusCode.Unavailable);
        }

        return response;
    }
}
