using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Control;

/// <summary>
/// Calls that arrive over TCP must carry <c>Authorization: Bearer TOKEN</c>; calls over the Unix socket are
/// authorized by the socket's file permissions. A refused call is logged and reaches no handler.
/// </summary>
internal sealed partial class BearerTokenInterceptor : Interceptor
{
    private readonly byte[]? _expected;
    private readonly ILogger<BearerTokenInterceptor> _logger;

    public BearerTokenInterceptor(IOptions<DirectorOptions> options, ILogger<BearerTokenInterceptor> logger)
    {
        _expected = options.Value.BearerToken is { Length: > 0 } token ? Encoding.UTF8.GetBytes(token) : null;
        _logger = logger;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var http = context.GetHttpContext();

        // Unix domain socket connections have no IP endpoint.
        if (http.Features.Get<IHttpConnectionFeature>()?.LocalIpAddress is null)
        {
            return;
        }

        var header = http.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (_expected is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), _expected))
        {
            return;
        }

        var reason = header.Length == 0 ? "no bearer token" : "wrong bearer token";
        Log.Unauthenticated(_logger, context.Method, context.Peer, reason);
        throw new RpcException(new Status(StatusCode.Unauthenticated, $"{reason}: calls over TCP need 'Authorization: Bearer <token>'"));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Control {Method} from {Peer} refused: {Reason}")]
        public static partial void Unauthenticated(ILogger logger, string method, string peer, string reason);
    }
}
