using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// HTTP(S) GET, as keepalived's <c>HTTP_GET</c>/<c>SSL_GET</c>: a new connection to the target's address for
/// every check (no pooling, no redirects, no proxy), the status compared with the expected codes and
/// optionally the MD5 digest of the body.
/// </summary>
internal sealed class HttpProbe : IHealthProbe, IDisposable
{
    private static readonly HttpRequestOptionsKey<ProbeTarget> TargetKey = new("LoadBalancing.Health.ProbeTarget");

    private readonly HttpProbeOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly HttpMessageInvoker _invoker;
    private readonly byte[]? _digest;

    public HttpProbe(HttpProbeOptions options, TimeProvider timeProvider)
    {
        _options = options;
        _timeProvider = timeProvider;
        _digest = options.Digest is null ? null : Convert.FromHexString(options.Digest);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,

            // A check must reach the server it names: a pooled connection could belong to another target
            // with the same Host name, and keepalived opens a fresh connection per check as well.
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = ConnectAsync,
        };
        if (options.UseTls && !options.VerifyCertificate)
        {
#pragma warning disable CA5359 // Verification is off only when configured so, as keepalived's SSL_GET without a CA file.
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
#pragma warning restore CA5359
        }

        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public string Name => _options.UseTls ? "https" : "http";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var port = _options.Port != 0 ? _options.Port : target.Port;
        using var request = new HttpRequestMessage(HttpMethod.Get, BuildUri(target, port)) { Version = HttpVersion.Version11 };
        request.Options.Set(TargetKey, target with { Port = port });
        request.Headers.ConnectionClose = true;
        if (_options.Host is { } host)
        {
            request.Headers.Host = host;
        }

        using var deadline = new ProbeDeadline(_options.ConnectTimeout + _options.ReadTimeout, _timeProvider, cancellationToken);
        try
        {
            using var response = await _invoker.SendAsync(request, deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (!IsExpected(status))
            {
                return ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"HTTP status {status}"));
            }

            if (_digest is null)
            {
                return ProbeResult.Up();
            }

            var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await CheckDigestAsync(stream, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (HttpRequestException ex)
        {
            return ProbeResult.Down($"HTTP request failed: {Innermost(ex).Message}");
        }
        catch (IOException ex)
        {
            return ProbeResult.Down($"HTTP read failed: {ex.Message}");
        }
        catch (OperationCanceledException) when (deadline.IsExpired || !cancellationToken.IsCancellationRequested)
        {
            // The handler's own ConnectTimeout also surfaces as a cancellation (TaskCanceledException with a TimeoutException inside).
            return ProbeResult.Down("HTTP timeout");
        }
    }

    public void Dispose() => _invoker.Dispose();

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // The URI may carry the virtual host name; the connection always goes to the probed address.
        var endPoint = context.InitialRequestMessage.Options.TryGetValue(TargetKey, out var target)
            ? target.ToIPEndPoint()
            : throw new InvalidOperationException("The probe target is missing from the request.");
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private Uri BuildUri(ProbeTarget target, int port)
    {
        // The URI host decides the SNI name when no Host header is set (SocketsHttpHandler takes SNI from
        // the Host header when there is one, else from the URI).
        var host = _options.ServerName ?? _options.Host?.Split(':')[0] ?? (target.Address.IsIPv6 ? $"[{target.Address}]" : target.Address.ToString());
        var path = _options.Path.StartsWith('/') ? _options.Path : "/" + _options.Path;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{(_options.UseTls ? "https" : "http")}://{host}:{port}{path}"));
    }

    private bool IsExpected(int status)
        => _options.ExpectedStatusCodes.IsDefaultOrEmpty ? status is >= 200 and <= 299 : _options.ExpectedStatusCodes.Contains(status);

    private async Task<ProbeResult> CheckDigestAsync(Stream body, CancellationToken cancellationToken)
    {
#pragma warning disable CA5351 // MD5 is what keepalived's digest and genhash use; it is a content check, not security.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        var buffer = new byte[16384];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > _options.MaxBodyBytes)
            {
                return ProbeResult.Down(string.Create(CultureInfo.InvariantCulture, $"HTTP body longer than {_options.MaxBodyBytes} bytes"));
            }

            md5.AppendData(buffer.AsSpan(0, read));
        }

        var actual = md5.GetHashAndReset();
        return actual.AsSpan().SequenceEqual(_digest)
            ? ProbeResult.Up()
            : ProbeResult.Down($"HTTP body digest {Convert.ToHexStringLower(actual)} != {Convert.ToHexStringLower(_digest!)}");
    }
}
