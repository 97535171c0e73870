using System.Net;
using System.Net.Sockets;
using LoadBalancing.Agent.Cli;
using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Registration;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Agent.Tests.Registration;

/// <summary>Agent registration in a real director's embedded registry over its Unix socket (no Consul configured).</summary>
public sealed class DirectorRegistrationTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Beat_LocalTcpProbe_DecidesHeartbeatStatus_DirectorRestartReRegisters_DrainAndDeregister()
    {
        var directory = Directory.CreateTempSubdirectory("lbagent-registry-").FullName;
        using var backend = new TcpListener(IPAddress.Loopback, 0);
        backend.Start();
        var port = ((IPEndPoint)backend.LocalEndpoint).Port;
        try
        {
            var options = new AgentOptions();
            options.HealthEndpoints.Add(new HealthEndpointOptions { Name = "web", Protocol = "tcp", Port = port });
            options.Registration.Director = "unix:" + Path.Combine(directory, "director.sock");
            options.Registration.Services.Add(new RegisteredServiceOptions { Name = "web", VirtualService = "tcp:192.168.1.254:80", Address = "127.0.0.1", Port = port, Weight = 4, HealthEndpoint = "web" });
            Assert.Empty(AgentOptionsValidator.Collect(options));
            var id = $"lb-web-127.0.0.1-{port}";
            var noProbes = new Dictionary<string, LoadBalancing.Health.IHealthProbe?> { [id] = ServiceRegistryFactory.LocalProbe(options.HealthEndpoints[0]) };

            var director = await StartDirectorAsync(directory);
            using var registry = ServiceRegistryFactory.Create(options.Registration, _ => null);
            var registrar = new ServiceRegistrar(registry, AgentRegistration.FromOptions(options), TimeProvider.System, NullLogger.Instance);

            await registrar.BeatOnceAsync(noProbes, Ct);
            var listed = await ListAsync(directory);
            var instance = Assert.Single(listed.Instances);
            Assert.Equal((id, LoadBalancing.Grpc.Registry.HealthStatus.Passing, 4u), (instance.Instance.Id, instance.Status, instance.Instance.WeightPassing));
            Assert.Equal(["lb.vs=tcp:192.168.1.254:80"], instance.Instance.Tags);

            // The director restarts with an empty registry: the next heartbeat gets NOT_FOUND and registers again.
            await director.StopAsync(Ct);
            director.Dispose();
            director = await StartDirectorAsync(directory);
            Assert.Empty((await ListAsync(directory)).Instances);
            await registrar.BeatOnceAsync(noProbes, Ct);
            Assert.Equal(2, registrar.Registrations);
            Assert.Equal(LoadBalancing.Grpc.Registry.HealthStatus.Passing, Assert.Single((await ListAsync(directory)).Instances).Status);

            var output = new StringWriter();
            Assert.Equal(0, await DrainCommand.RunAsync(options, off: false, "patching", output, new StringWriter(), Ct));
            var drained = Assert.Single((await ListAsync(directory)).Instances);
            Assert.Equal((LoadBalancing.Grpc.Registry.HealthStatus.Maintenance, "patching"), (drained.Status, drained.MaintenanceReason));

            Assert.Equal(0, await DrainCommand.RunAsync(options, off: true, null, output, new StringWriter(), Ct));
            Assert.Equal(LoadBalancing.Grpc.Registry.HealthStatus.Passing, Assert.Single((await ListAsync(directory)).Instances).Status);

            // The real server stops answering: the next heartbeat reports critical.
            backend.Stop();
            await registrar.BeatOnceAsync(noProbes, Ct);
            Assert.Equal(LoadBalancing.Grpc.Registry.HealthStatus.Critical, Assert.Single((await ListAsync(directory)).Instances).Status);

            await registrar.DeregisterAllAsync(Ct);
            Assert.Empty((await ListAsync(directory)).Instances);
            await director.StopAsync(Ct);
            director.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<InstanceList> ListAsync(string directory)
    {
        using var channel = DirectorChannel.Create("unix:" + Path.Combine(directory, "director.sock"));
        return await new Grpc.Registry.Registry.RegistryClient(channel).ListAsync(new ListInstancesRequest(), cancellationToken: Ct);
    }

    private static async Task<IHost> StartDirectorAsync(string directory)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLoadBalancing()
            .AddDirector(o =>
            {
                o.ControlSocketPath = Path.Combine(directory, "director.sock");
                o.WatchRulesFile = false;
                o.ReloadOnSighup = false;
            })
            .AddEmbeddedRegistry();
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }
}
