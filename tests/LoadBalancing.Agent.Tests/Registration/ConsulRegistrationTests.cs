using System.Text.Json;
using LoadBalancing.Agent.Cli;
using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Registration;
using LoadBalancing.Consul;
using LoadBalancing.Consul.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Agent.Tests.Registration;

/// <summary>Agent registration against the stateful fake Consul agent on 127.0.0.1 (real HTTP, documented shapes).</summary>
public sealed class ConsulRegistrationTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static AgentOptions Options(FakeConsulAgent consul, string? healthEndpoint = null)
    {
        var options = new AgentOptions();
        options.HealthEndpoints.Add(new HealthEndpointOptions { Name = "web", Protocol = "http", Port = 8080, Path = "/healthz" });
        options.Registration.Consul = consul.Address.OriginalString;
        options.Registration.Services.Add(new RegisteredServiceOptions
        {
            Name = "web", VirtualService = "tcp:192.168.1.254:80", Address = "10.0.0.11", Weight = 5, WarningWeight = 2, Forward = "masq", Scheduler = "wrr", HealthEndpoint = healthEndpoint,
        });
        Assert.Empty(AgentOptionsValidator.Collect(options));
        return options;
    }

    private static (ServiceRegistrar Registrar, IServiceRegistry Registry) Registrar(AgentOptions options, TimeProvider? time = null)
    {
        var registry = ServiceRegistryFactory.Create(options.Registration, _ => null, TimeProvider.System);
        return (new ServiceRegistrar(registry, AgentRegistration.FromOptions(options), time ?? TimeProvider.System, NullLogger.Instance), registry);
    }

    private static readonly Dictionary<string, LoadBalancing.Health.IHealthProbe?> NoProbes = [];

    [Fact]
    public async Task Register_TtlCheck_ConventionTagsMetaWeightsAndPassingAtOnce()
    {
        await using var consul = new FakeConsulAgent();
        var (registrar, registry) = Registrar(Options(consul));
        using var _ = registry;

        await registrar.BeatOnceAsync(NoProbes, Ct);

        var service = Assert.Single(consul.Services).Value;
        Assert.Equal(("lb-web-10.0.0.11-80", "web", "10.0.0.11", 80), (service.Id, service.Name, service.Address, service.Port));
        Assert.Equal(["lb.vs=tcp:192.168.1.254:80"], service.Tags);
        Assert.Equal("masq", service.Meta["lb-forward"]);
        Assert.Equal("wrr", service.Meta["lb-scheduler"]);
        Assert.Equal((5, 2), (service.PassingWeight, service.WarningWeight));
        var check = consul.Checks["lb-web-10.0.0.11-80:ttl"];
        Assert.Equal(("ttl", "passing", TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(2)), (check.Type, check.Status, check.Ttl, check.DeregisterCriticalServiceAfter));

        // The request used the documented field names and asked for idempotent re-registration.
        var request = consul.Requests.Single(r => r.Path == "/v1/agent/service/register");
        Assert.True(request.HasQuery("replace-existing-checks"));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(10, body.RootElement.GetProperty("Weights").GetProperty("Passing").GetInt32() * 2);
        Assert.Equal("15s", body.RootElement.GetProperty("Check").GetProperty("TTL").GetString());
        Assert.Equal("lb-web-10.0.0.11-80:ttl", body.RootElement.GetProperty("Check").GetProperty("CheckID").GetString());
    }

    [Fact]
    public async Task Register_HealthEndpoint_ConsulRunsAnHttpCheck()
    {
        await using var consul = new FakeConsulAgent();
        var (registrar, registry) = Registrar(Options(consul, healthEndpoint: "web"));
        using var _ = registry;

        await registrar.BeatOnceAsync(NoProbes, Ct);

        var check = consul.Checks["lb-web-10.0.0.11-80:http"];
        Assert.Equal(("http", "http://10.0.0.11:8080/healthz", TimeSpan.FromSeconds(10)), (check.Type, check.Target, check.Interval));
    }

    [Fact]
    public async Task Run_HeartbeatsEveryThirdOfTheTtl_TtlNeverExpires()
    {
        var time = new DelayCountingTimeProvider();
        await using var consul = new FakeConsulAgent(time);
        var (registrar, registry) = Registrar(Options(consul), time);
        using var _ = registry;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = registrar.RunAsync(cts.Token);
        await WaitUntilAsync(() => consul.Checks.TryGetValue("lb-web-10.0.0.11-80:ttl", out var c) && c.Checkins == 1);
        Assert.Equal(TimeSpan.FromSeconds(5), registrar.Interval);

        for (var beat = 2; beat <= 6; beat++)
        {
            // Once the registrar waits for its next beat: advanced before its delay starts, the clock would put that
            // beat a whole interval later.
            await WaitUntilAsync(() => time.Delays == beat - 1);
            time.Advance(TimeSpan.FromSeconds(5));
            await WaitUntilAsync(() => consul.Checks["lb-web-10.0.0.11-80:ttl"].Checkins == beat);
            consul.Tick();
            Assert.Equal("passing", consul.Checks["lb-web-10.0.0.11-80:ttl"].Status);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(1, registrar.Registrations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Beat_ConsulRestartedAndForgotEverything_RegistersAgain(bool consulRunsTheCheck)
    {
        await using var consul = new FakeConsulAgent();
        var (registrar, registry) = Registrar(Options(consul, consulRunsTheCheck ? "web" : null));
        using var _ = registry;
        await registrar.BeatOnceAsync(NoProbes, Ct);

        consul.Restart();
        Assert.Empty(consul.Services);
        await registrar.BeatOnceAsync(NoProbes, Ct);

        Assert.Equal(2, registrar.Registrations);
        Assert.Equal("lb-web-10.0.0.11-80", Assert.Single(consul.Services).Key);
        if (!consulRunsTheCheck)
        {
            // The first heartbeat after the restart got 404 "Unknown check ID": that, not a timer, triggered it.
            Assert.Contains(consul.Requests, r => Uri.UnescapeDataString(r.Path) == "/v1/agent/check/update/lb-web-10.0.0.11-80:ttl");
            Assert.Equal("passing", consul.Checks["lb-web-10.0.0.11-80:ttl"].Status);
        }
    }

    [Fact]
    public async Task Beat_CheckNoLongerTtl500_RegistersAgain()
    {
        await using var consul = new FakeConsulAgent();
        var (registrar, registry) = Registrar(Options(consul));
        using var _ = registry;
        await registrar.BeatOnceAsync(NoProbes, Ct);

        // Someone re-created the service with a non-TTL check under the same check ID: Consul answers 500
        // "CheckID ... does not have associated TTL" to the next heartbeat.
        using (var other = ConsulClientFactory.Create(consul.ClientOptions()))
        {
            await other.RegisterServiceAsync(new LoadBalancing.Consul.Model.ServiceRegistration
            {
                Id = "lb-web-10.0.0.11-80", Name = "web", Check = new LoadBalancing.Consul.Model.CheckDefinition { CheckId = "lb-web-10.0.0.11-80:ttl", Tcp = "10.0.0.11:80", Interval = TimeSpan.FromSeconds(10) },
            }, cancellationToken: Ct);
        }

        await registrar.BeatOnceAsync(NoProbes, Ct);

        Assert.Equal(2, registrar.Registrations);
        Assert.Equal("ttl", consul.Checks["lb-web-10.0.0.11-80:ttl"].Type);
    }

    [Fact]
    public async Task Beat_ConsulUnreachable_LoggedNotFatalThenResumes()
    {
        await using var consul = new FakeConsulAgent { Mode = FakeConsulAgent.AgentMode.Unreachable };
        var (registrar, registry) = Registrar(Options(consul));
        using var _ = registry;

        await registrar.BeatOnceAsync(NoProbes, Ct);
        Assert.Equal(0, registrar.Registrations);
        Assert.Empty(consul.Services);
        Assert.Contains(consul.Requests, r => r.Path == "/v1/agent/service/register");

        consul.Mode = FakeConsulAgent.AgentMode.Up;
        await registrar.BeatOnceAsync(NoProbes, Ct);
        Assert.Single(consul.Services);
    }

    [Fact]
    public async Task DeregisterAll_CleanShutdown_ServiceGone()
    {
        await using var consul = new FakeConsulAgent();
        var (registrar, registry) = Registrar(Options(consul));
        using var _ = registry;
        await registrar.BeatOnceAsync(NoProbes, Ct);

        await registrar.DeregisterAllAsync(Ct);

        Assert.Empty(consul.Services);
        Assert.Empty(consul.Checks);
    }

    [Fact]
    public async Task Drain_SetsMaintenanceAndOffClearsIt()
    {
        await using var consul = new FakeConsulAgent();
        var options = Options(consul);
        var (registrar, registry) = Registrar(options);
        using var _ = registry;
        await registrar.BeatOnceAsync(NoProbes, Ct);
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, await DrainCommand.RunAsync(options, off: false, "kernel update", output, error, Ct));
        var maintenance = consul.Checks["_service_maintenance:lb-web-10.0.0.11-80"];
        Assert.Equal(("critical", "kernel update"), (maintenance.Status, maintenance.Notes));
        Assert.Contains("drained lb-web-10.0.0.11-80", output.ToString(), StringComparison.Ordinal);

        Assert.Equal(0, await DrainCommand.RunAsync(options, off: true, null, output, error, Ct));
        Assert.DoesNotContain("_service_maintenance:lb-web-10.0.0.11-80", consul.Checks.Keys);
    }

    [Fact]
    public async Task Drain_NotRegistered_ExitOneSaysSo()
    {
        await using var consul = new FakeConsulAgent();
        var error = new StringWriter();

        Assert.Equal(1, await DrainCommand.RunAsync(Options(consul), off: false, null, new StringWriter(), error, Ct));
        Assert.Contains("is not registered", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
