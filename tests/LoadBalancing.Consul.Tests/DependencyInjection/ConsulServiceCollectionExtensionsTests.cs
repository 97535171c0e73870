using LoadBalancing.Consul.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.DependencyInjection;

public sealed class ConsulServiceCollectionExtensionsTests
{
    [Fact]
    public void AddConsulClient_WithOptions_ResolvesOneClientUsingThemAndTheRegisteredTimeProvider()
    {
        var time = new FakeTimeProvider();
        var options = new ConsulClientOptions { Address = new Uri("http://127.0.0.1:18500/"), Datacenter = "dc9" };
        using var provider = new ServiceCollection().AddSingleton<TimeProvider>(time).AddConsulClient(options).BuildServiceProvider();

        var client = Assert.IsType<ConsulClient>(provider.GetRequiredService<IConsulClient>());

        Assert.Same(client, provider.GetRequiredService<IConsulClient>());
        Assert.Same(options, client.Options);
        Assert.Same(options, provider.GetRequiredService<ConsulClientOptions>());
    }

    [Fact]
    public void AddConsulClient_Configure_AdjustsEnvironmentOptions()
    {
        using var provider = new ServiceCollection()
            .AddConsulClient(o => o with { Datacenter = "dc2", RequestTimeout = TimeSpan.FromSeconds(3) })
            .BuildServiceProvider();

        var options = provider.GetRequiredService<ConsulClientOptions>();

        Assert.Equal(("dc2", TimeSpan.FromSeconds(3)), (options.Datacenter, options.RequestTimeout));
        Assert.NotNull(provider.GetRequiredService<TimeProvider>());
    }
}
