using System.Net;
using LoadBalancing.Director.Configuration;
using LoadBalancing.Director.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Control;

/// <summary>
/// Serves the control API on its own small Kestrel server, so the director runs on a plain Generic Host:
/// a Unix domain socket (mode 0660) by default, and a TCP endpoint (HTTP/2, TLS with a certificate) only when
/// configured.
/// </summary>
internal sealed partial class ControlApiHost(
    DirectorTable table,
    IEnumerable<IConnectionSource> connections,
    HealthEventSource health,
    IOptions<DirectorOptions> options,
    ILoggerFactory loggerFactory,
    IEnumerable<IControlApiService> apiServices) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ControlApiHost>();
    private WebApplication? _app;

    /// <summary>Gets the Unix socket address (<c>unix:PATH</c>), once started.</summary>
    public string? SocketAddress { get; private set; }

    /// <summary>Gets the TCP address actually bound (port 0 resolved), once started.</summary>
    public Uri? TcpAddress { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var socketPath = string.IsNullOrEmpty(o.ControlSocketPath) ? null : Path.GetFullPath(o.ControlSocketPath);
        var tcp = string.IsNullOrEmpty(o.ControlTcpEndpoint) ? null : IPEndPoint.Parse(o.ControlTcpEndpoint);
        if (socketPath is null && tcp is null)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, HostedLifetime>();
        builder.Services.AddSingleton(table);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(health);
        foreach (var source in connections)
        {
            builder.Services.AddSingleton(source);
        }

        builder.Services.AddGrpc(g => g.Interceptors.Add<BearerTokenInterceptor>());
        foreach (var service in apiServices)
        {
            service.AddServices(builder.Services);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (socketPath is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);

                // A socket file left by a crashed director would make bind fail with EADDRINUSE.
                File.Delete(socketPath);
                kestrel.ListenUnixSocket(socketPath, l => l.Protocols = HttpProtocols.Http2);
            }

            if (tcp is not null)
            {
                kestrel.Listen(tcp, l =>
                {
                    l.Protocols = HttpProtocols.Http2;
                    if (!string.IsNullOrEmpty(o.CertificatePath))
                    {
                        l.UseHttps(o.CertificatePath, o.CertificatePassword);
                    }
                });
            }
        });

        var app = builder.Build();
        app.MapGrpcService<DirectorControlService>();
        foreach (var service in apiServices)
        {
            service.Map(app);
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;

        if (socketPath is not null && !OperatingSystem.IsWindows())
        {
            // Kestrel creates the socket with the process umask; 0660 gives the owner and its group access.
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            if (!string.IsNullOrEmpty(o.ControlSocketGroup))
            {
                UnixGroup.SetGroup(socketPath, o.ControlSocketGroup);
            }

            SocketAddress = $"unix:{socketPath}";
            Log.Listening(_logger, SocketAddress);
        }

        if (tcp is not null)
        {
            var scheme = string.IsNullOrEmpty(o.CertificatePath) ? "http" : "https";
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Select(a => new Uri(a)).First(u => IPAddress.TryParse(u.Host.Trim('[', ']'), out _));
            TcpAddress = new Uri($"{scheme}://{new IPEndPoint(tcp.Address, bound.Port)}");
            Log.Listening(_logger, TcpAddress.OriginalString);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Director control API listening on {Address}")]
        public static partial void Listening(ILogger logger, string address);
    }
}
