using LoadBalancing.Consul.Tests.Fakes;
using LoadBalancing.Director.Consul.Tests.Fakes;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Consul.Tests.DependencyInjection;

/// <summary>A real director host with <c>AddConsulDiscovery</c>, the fake agent as Consul and the real lbadm as the operator.</summary>
public sealed class ConsulDirectorHostTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Director_InstanceRegistersThenTurnsCritical_LbadmShowsItThenWeightZero()
    {
        await using var consul = new FakeConsulAgent();
        var directory = Directory.CreateTempSubdirectory("lbdir-consul-").FullName;
        try
        {
            var socket = Path.Combine(directory, "director.sock");
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddConsulClient(consul.ClientOptions());
            builder.Services.AddLoadBalancing()
                .AddDirector(o =>
                {
                    o.ControlSocketPath = socket;
                    o.WatchRulesFile = false;
                    o.ReloadOnSighup = false;
                })
                .AddConsulDiscovery();
            using var host = builder.Build();
            await host.StartAsync(Ct);
            using var channel = DirectorChannel.Create("unix:" + socket);
            var director = new Grpc.Control.Director.DirectorClient(channel);
            using var watch = director.Watch(new WatchRequest(), cancellationToken: Ct);

            consul.AddInstance("rs1", "web-1", "web", "10.0.0.11", 80, ["lb.vs=tcp:192.168.1.254:80"], new Dictionary<string, string> { ["lb-scheduler"] = "wrr" }, weights: (7, 1));
            await NextTableAsync(watch, t => t.Services.Count == 1 && t.Services[0].Servers.Count == 1);

            var listing = await LbadmProcess.RunAsync("--director", "unix:" + socket, "-Ln");
            Assert.Equal(0, listing.ExitCode);
            Assert.Contains("TCP  192.168.1.254:80 wrr", listing.Stdout, StringComparison.Ordinal);
            Assert.Matches(@"-> 10\.0\.0\.11:80\s+Route\s+7\s", listing.Stdout);

            consul.SetCheckStatus("service:web-1", "critical");
            await NextTableAsync(watch, t => t.Services.Count == 1 && t.Services[0].Servers.Count == 1 && t.Services[0].Servers[0].Weight == 0);
            listing = await LbadmProcess.RunAsync("--director", "unix:" + socket, "-Ln");
            Assert.Matches(@"-> 10\.0\.0\.11:80\s+Route\s+0\s", listing.Stdout);

            // End the open watch stream first: Kestrel's graceful stop waits for in-flight calls.
            watch.Dispose();
            await host.StopAsync(Ct);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AddConsulDiscovery_BadOptions_HostStartFailsNamingTheOption()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLoadBalancing()
            .AddDirector(o => o.ControlSocketPath = null)
            .AddConsulDiscovery(o => o.Wait = TimeSpan.FromMinutes(11));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("Director:Consul:Wait", e.Message, StringComparison.Ordinal);
    }

    private static async Task<Table> NextTableAsync(global::Grpc.Core.AsyncServerStreamingCall<Table> watch, Func<Table, bool> until)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (await watch.ResponseStream.MoveNext(timeout.Token))
        {
            if (until(watch.ResponseStream.Current))
            {
                return watch.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("the watch ended");
    }
}
