using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http;
using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// Calls <c>grpc.health.v1.Health/Check</c> through Grpc.Net.Client: up when the status is SERVING. One
/// HTTP/2 handler for the probe, one channel per target address (kept, so checks reuse the connection).
/// </summary>
internal sealed class GrpcHealthProbe : IHealthProbe, IDisposable
{
    private static readonly Method<string, GrpcHealthResponse> CheckMethod = new(
        MethodType.Unary,
        "grpc.health.v1.Health",
        "Check",
        Marshallers.Create(GrpcHealthMessages.EncodeRequest, _ => string.Empty),
        Marshallers.Create<GrpcHealthResponse>(_ => [], static bytes => new GrpcHealthResponse(GrpcHealthMessages.DecodeStatus(bytes))));

    private readonly GrpcHealthProbeOptions _options;
    private readonly SocketsHttpHandler _handler;
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    public GrpcHealthProbe(GrpcHealthProbeOptions options)
    {
        _options = options;
        _handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, UseProxy = false, EnableMultipleHttp2Connections = true };
        if (options.UseTls && !options.VerifyCertificate)
        {
#pragma warning disable CA5359 // Verification is off only when configured so, as for SSL_GET.
            _handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
#pragma warning restore CA5359
        }
    }

    public string Name => "grpc";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target with { Port = _options.Port != 0 ? _options.Port : target.Port };
        var address = string.Create(CultureInfo.InvariantCulture, $"{(_options.UseTls ? "https" : "http")}://{endPoint}");
        var channel = _channels.GetOrAdd(address, static (a, h) => GrpcChannel.ForAddress(a, new GrpcChannelOptions { HttpHandler = h, DisposeHttpClient = false }), _handler);
        try
        {
            // The deadline is the server's to honour as well; the token covers the client side under fake time.
            var call = channel.CreateCallInvoker().AsyncUnaryCall(CheckMethod, null, new CallOptions(deadline: DateTime.UtcNow + _options.Timeout, cancellationToken: cancellationToken), _options.Service);
            using (call)
            {
                var status = (await call.ResponseAsync.ConfigureAwait(false)).Status;
                return status switch
                {
                    GrpcHealthMessages.Serving => ProbeResult.Up(),
                    -1 => ProbeResult.Down("gRPC health: malformed response"),
                    _ => ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"gRPC health: {StatusName(status)}")),
                };
            }
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.Down($"gRPC health: {ex.StatusCode} {ex.Status.Detail}");
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _handler.Dispose();
    }

    private static string StatusName(int status) => status switch
    {
        0 => "UNKNOWN",
        2 => "NOT_SERVING",
        3 => "SERVICE_UNKNOWN",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };
}
