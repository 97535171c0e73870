using System.Net;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Health.Tests.Fixtures;

/// <summary>A real gRPC server (Kestrel, h2c on 127.0.0.1) with the standard health service of Grpc.HealthCheck.</summary>
internal sealed class GrpcHealthServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcHealthServer(WebApplication app, HealthServiceImpl health, int port)
    {
        _app = app;
        Health = health;
        Port = port;
    }

    public HealthServiceImpl Health { get; }

    public int Port { get; }

    public ProbeTarget Target => FreePort.Loopback(Port);

    public static async Task<GrpcHealthServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        var health = new HealthServiceImpl();
        builder.Services.AddSingleton(health);
        var app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcHealthServer(app, health, new Uri(address).Port);
    }

    public void Set(string service, HealthCheckResponse.Types.ServingStatus status) => Health.SetStatus(service, status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
