using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 over raw sockets: answers every request with a fixed status and body,
/// or hangs without answering, optionally behind TLS with a self-signed certificate. Records the request
/// head and the SNI name it saw.
/// </summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2? _certificate;
    private readonly Task _acceptLoop;

    public TestHttpServer(int status = 200, string body = "ok", bool hang = false, bool tls = false, string? location = null)
    {
        Status = status;
        Body = body;
        Hang = hang;
        Location = location;
        if (tls)
        {
            _certificate = CreateSelfSigned("lb-health.test");
        }

        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Status { get; }

    public string Body { get; }

    public bool Hang { get; }

    public string? Location { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ProbeTarget Target => FreePort.Loopback(Port);

    public ConcurrentQueue<string> RequestHeads { get; } = new();

    public ConcurrentQueue<string> ServerNames { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is not null)
        {
        }

        _certificate?.Dispose();
        _stop.Dispose();
    }

    private static X509Certificate2 CreateSelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using var _ = client;
            Stream stream = new NetworkStream(client, ownsSocket: false);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateSelectionCallback = (_, hostName) =>
                    {
                        ServerNames.Enqueue(hostName ?? "");
                        return _certificate;
                    },
                }, _stop.Token);
                stream = ssl;
            }

            await using (stream)
            {
                var head = await ReadHeadAsync(stream);
                if (head.Length == 0)
                {
                    return;
                }

                RequestHeads.Enqueue(head);
                if (Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var body = Encoding.UTF8.GetBytes(Body);
                var location = Location is null ? "" : $"Location: {Location}\r\n";
                var response = $"HTTP/1.1 {Status} X\r\nContent-Length: {body.Length}\r\n{location}Connection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                await stream.WriteAsync(body, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is not null)
        {
            // A client that gave up (timeout, failed TLS verification) is part of the tests.
        }
    }

    private async Task<string> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token);
            if (n == 0)
            {
                break;
            }

            length += n;
            var text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                return text;
            }
        }

        return Encoding.ASCII.GetString(buffer, 0, length);
    }
}
