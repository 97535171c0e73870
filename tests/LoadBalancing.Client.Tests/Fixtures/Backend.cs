using System.Net;
using Grpc.Core;
using LoadBalancing.Client.Tests.Protos;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Client.Tests.Fixtures;

/// <summary>How a backend answers.</summary>
internal enum BackendMode
{
    /// <summary>Answers with its name.</summary>
    Ok,

    /// <summary>HTTP: 503; gRPC: UNAVAILABLE before any message (trailers-only).</summary>
    Failing,

    /// <summary>Holds every call until the caller gives up (deadline, timeout) or the backend stops.</summary>
    Hanging,
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a name: HTTP/1.1 (<c>GET /who</c>, <c>GET /health</c>) or h2c gRPC
/// (<c>Echo.Who</c>). Counts the calls it answered; can be stopped and started again on the same port.
/// </summary>
internal sealed class Backend : IAsyncDisposable
{
    private readonly bool _grpc;
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private int _calls;

    private Backend(string name, bool grpc)
    {
        Name = name;
        _grpc = grpc;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public BackendMode Mode { get; set; }

    public bool Healthy { get; set; } = true;

    public static async Task<Backend> StartHttpAsync(string name)
    {
        var backend = new Backend(name, grpc: false);
        await backend.StartAsync();
        return backend;
    }

    public static async Task<Backend> StartGrpcAsync(string name)
    {
        var backend = new Backend(name, grpc: true);
        await backend.StartAsync();
        return backend;
    }

    /// <summary>Starts (again), on the port it had if it ran before.</summary>
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, o => o.Protocols = _grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        builder.Logging.ClearProviders();
        if (_grpc)
        {
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(this);
        }

        var app = builder.Build();
        if (_grpc)
        {
            app.MapGrpcService<EchoService>();
        }
        else
        {
            app.MapGet("/who", async context =>
            {
                Interlocked.Increment(ref _calls);
                switch (Mode)
                {
                    case BackendMode.Failing:
                        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                        return;
                    case BackendMode.Hanging:
                        await HangAsync(context.RequestAborted);
                        return;
                }

                await context.Response.WriteAsync(Name);
            });
            app.MapGet("/health", context =>
            {
                context.Response.StatusCode = Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return Task.CompletedTask;
            });
        }

        await app.StartAsync();
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await StopAsync();
        _stopping.Dispose();
    }

    private async Task HangAsync(CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class EchoService(Backend backend) : Echo.EchoBase
    {
        public override async Task<WhoReply> Who(WhoRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref backend._calls);
            switch (backend.Mode)
            {
                case BackendMode.Failing:
                    throw new RpcException(new Status(StatusCode.Unavailable, $"{backend.Name} is failing"));
                case BackendMode.Hanging:
                    await backend.HangAsync(context.CancellationToken);
                    throw new RpcException(new Status(StatusCode.Cancelled, "gave up"));
            }

            return new WhoReply { Name = backend.Name };
        }
    }
}
