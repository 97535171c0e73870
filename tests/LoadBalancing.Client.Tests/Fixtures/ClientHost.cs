using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Client.Tests.Fixtures;

/// <summary>The app under test: a generic host with the LoadBalancing core, static services and whatever the test adds.</summary>
internal sealed class ClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ClientHost(IHost host)
    {
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    public ServiceTable Table => Services.GetRequiredService<ServiceTable>();

    /// <summary>Builds and starts the host.</summary>
    /// <param name="rules">The static services, as lbadm rules.</param>
    /// <param name="configure">More registrations.</param>
    /// <param name="timeProvider">The clock of the LoadBalancing parts (outlier detection), or the system clock.</param>
    public static async Task<ClientHost> StartAsync(string rules, Action<IServiceCollection, ILoadBalancingBuilder> configure, TimeProvider? timeProvider = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        var lb = builder.Services.AddLoadBalancing().AddStaticServices(rules);
        configure(builder.Services, lb);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new ClientHost(host);
    }

    /// <summary>The real server of the (only) virtual service that is this backend.</summary>
    public RealServerState Server(Backend backend)
        => Table.Services.Single().FindDestination(NetworkAddress.Parse("127.0.0.1"), (ushort)backend.Port)
            ?? throw new InvalidOperationException($"{backend.Name} is not a real server");

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
