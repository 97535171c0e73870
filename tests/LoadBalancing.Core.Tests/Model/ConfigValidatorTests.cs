using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Tests.Model;

public sealed class ConfigValidatorTests
{
    private static readonly NetworkAddress Vip = NetworkAddress.Parse("192.168.1.254");

    private static VirtualServiceConfig Service(ushort port = 80, ServiceProtocol protocol = ServiceProtocol.Tcp, params RealServerConfig[] servers)
        => new() { Key = VirtualServiceKey.ForAddress(protocol, Vip, port), Scheduler = SchedulerNames.RoundRobin, RealServers = [.. servers] };

    private static RealServerConfig Server(string address = "192.168.1.10", int weight = 1)
        => new() { Address = NetworkAddress.Parse(address), Port = 80, Weight = weight };

    private static IReadOnlyList<ConfigError> Validate(params VirtualServiceConfig[] services)
        => new LoadBalancerConfig { Services = [.. services] }.Validate(SchedulerRegistry.Default.Names);

    [Fact]
    public void Validate_ValidConfig_NoErrors()
    {
        Assert.Empty(Validate(Service(servers: [Server(), Server("192.168.1.11", 65535)])));
    }

    [Fact]
    public void Validate_DuplicateService_Reported()
    {
        var errors = Validate(Service(), Service());

        Assert.Contains(errors, e => e.Path == "services[TCP 192.168.1.254:80]" && e.Message.Contains("already exists"));
    }

    [Fact]
    public void Validate_ZeroPortWithoutPersistence_Rejected()
    {
        Assert.Contains(Validate(Service(port: 0)), e => e.Path.EndsWith(".port") && e.Message.Contains("non-persistent"));
        Assert.Empty(Validate(Service(port: 0) with { PersistenceTimeout = TimeSpan.FromSeconds(360) }));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void Validate_WeightOutOfRange_Rejected(int weight)
    {
        var errors = Validate(Service(servers: Server(weight: weight)));

        var error = Assert.Single(errors);
        Assert.Equal("services[TCP 192.168.1.254:80].realServers[192.168.1.10:80].weight", error.Path);
    }

    [Fact]
    public void Validate_LowerThresholdWithoutUpper_Rejected()
    {
        var errors = Validate(Service(servers: Server() with { LowerThreshold = 5 }));

        Assert.Contains(errors, e => e.Path.EndsWith(".lowerThreshold"));
    }

    [Fact]
    public void Validate_UnknownScheduler_NamesKnownOnes()
    {
        var errors = Validate(Service() with { Scheduler = "nope" });

        var error = Assert.Single(errors);
        Assert.Contains("scheduler 'nope' not found", error.Message);
        Assert.Contains("rr", error.Message);
    }

    [Fact]
    public void Validate_OnePacketOnTcp_Rejected()
    {
        Assert.Contains(Validate(Service() with { OnePacket = true }), e => e.Message.Contains("only for UDP"));
        Assert.Empty(Validate(Service(protocol: ServiceProtocol.Udp) with { OnePacket = true }));
    }

    [Fact]
    public void Validate_MixedFamilies_OnlyForTunnels()
    {
        var v6 = Server("2001:db8::10");

        Assert.Contains(Validate(Service(servers: v6)), e => e.Message.Contains("only for tunneling"));
        Assert.Empty(Validate(Service(servers: v6 with { Method = ForwardingMethod.Tunnel })));
    }

    [Fact]
    public void Validate_GueWithoutPort_Rejected()
    {
        var gue = Server() with { Method = ForwardingMethod.Tunnel, TunnelType = TunnelType.Gue };

        Assert.Contains(Validate(Service(servers: gue)), e => e.Message.Contains("tun-port"));
        Assert.Empty(Validate(Service(servers: gue with { TunnelPort = 6080 })));
    }

    [Fact]
    public void Validate_TunnelOptionsOnRoute_Rejected()
    {
        Assert.Contains(Validate(Service(servers: Server() with { TunnelPort = 6080 })), e => e.Message.Contains("conflict"));
    }

    [Fact]
    public void Validate_PersistenceOutOfRange_Rejected()
    {
        Assert.NotEmpty(Validate(Service() with { PersistenceTimeout = TimeSpan.FromSeconds(2678401) }));
        Assert.NotEmpty(Validate(Service() with { PersistenceTimeout = TimeSpan.FromSeconds(1.5) }));
        Assert.NotEmpty(Validate(Service() with { PersistenceTimeout = TimeSpan.FromSeconds(60), PersistencePrefixLength = 33 }));
    }

    [Fact]
    public void Validate_DuplicateRealServer_Reported()
    {
        Assert.Contains(Validate(Service(servers: [Server(), Server()])), e => e.Message.Contains("destination already exists"));
    }

    [Fact]
    public void EnsureValid_Invalid_ThrowsWithEveryError()
    {
        var config = new LoadBalancerConfig
        {
            Services = ImmutableArray.Create(Service(servers: Server(weight: -1)) with { Scheduler = "nope" }),
        };

        var ex = Assert.Throws<ConfigValidationException>(() => config.EnsureValid(SchedulerRegistry.Default.Names));
        Assert.Equal(2, ex.Errors.Count);
    }
}
