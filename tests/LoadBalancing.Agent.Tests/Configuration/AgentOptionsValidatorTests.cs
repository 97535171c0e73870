using LoadBalancing.Agent.Configuration;

namespace LoadBalancing.Agent.Tests.Configuration;

public sealed class AgentOptionsValidatorTests
{
    [Fact]
    public void Collect_SampleLikeConfiguration_NoErrors()
    {
        var options = new AgentOptions();
        options.Vips.Add(new VipOptions { Address = "192.0.2.100" });
        options.Vips.Add(new VipOptions { Address = "2001:db8::100", Method = ForwardingMethod.Tun });
        options.Mounts.Add(new SharedMountOptions { Server = "nfs.example", Export = "/srv/www", MountPoint = "/srv/www", Options = "ro,nfsvers=4.1,hard,timeo=600,_netdev", Persistence = MountPersistence.Persistent });
        options.HealthEndpoints.Add(new HealthEndpointOptions { Name = "web", Protocol = "http", Port = 80, Path = "/healthz" });

        Assert.Empty(AgentOptionsValidator.Collect(options));
    }

    [Theory]
    [InlineData("10.0.0.1/32", "Vips[0].Address: '10.0.0.1/32' is not an IPv4 or IPv6 address")]
    [InlineData("vip.example", "Vips[0].Address: 'vip.example' is not an IPv4 or IPv6 address")]
    [InlineData("127.0.0.5", "Vips[0].Address: 127.0.0.5 cannot be a VIP")]
    [InlineData("::", "Vips[0].Address: :: cannot be a VIP")]
    public void Collect_BadVip_NamesTheField(string address, string expected)
    {
        var options = new AgentOptions();
        options.Vips.Add(new VipOptions { Address = address });

        Assert.StartsWith(expected, Assert.Single(AgentOptionsValidator.Collect(options)));
    }

    [Fact]
    public void Collect_SameVipTwice_SecondIsReported()
    {
        var options = new AgentOptions();
        options.Vips.Add(new VipOptions { Address = "192.0.2.1" });
        options.Vips.Add(new VipOptions { Address = "192.0.2.1" });

        Assert.Equal("Vips[1].Address: 192.0.2.1 is listed twice", Assert.Single(AgentOptionsValidator.Collect(options)));
    }

    [Theory]
    [InlineData("rw,ro", "Mounts[0].Options: 'rw' and 'ro' exclude each other")]
    [InlineData("soft,hard", "Mounts[0].Options: 'soft' and 'hard' exclude each other")]
    [InlineData("nfsvers=5", "Mounts[0].Options: 'nfsvers=5': nfsvers must be one of 2, 3, 4, 4.0, 4.1, 4.2")]
    [InlineData("timeo=0", "Mounts[0].Options: 'timeo=0': timeo needs a positive whole number")]
    [InlineData("timeo=fast", "Mounts[0].Options: 'timeo=fast': timeo needs a positive whole number")]
    [InlineData("proto=sctp", "Mounts[0].Options: 'proto=sctp': proto must be tcp, udp, rdma, tcp6 or udp6")]
    [InlineData("rw,a b", "Mounts[0].Options: 'a b' is not a mount option")]
    public void Collect_BadMountOptions_NamesTheFieldAndOption(string mountOptions, string expected)
    {
        var options = new AgentOptions();
        options.Mounts.Add(new SharedMountOptions { Server = "10.0.0.2", Export = "/e", MountPoint = "/m", Options = mountOptions });

        Assert.Equal(expected, Assert.Single(AgentOptionsValidator.Collect(options)));
    }

    [Fact]
    public void Collect_NfsWithoutServerAndRelativeMountPoint_BothReported()
    {
        var options = new AgentOptions();
        options.Mounts.Add(new SharedMountOptions { Export = "/e", MountPoint = "data" });

        var errors = AgentOptionsValidator.Collect(options);

        Assert.Equal(["Mounts[0].Server: required for nfs", "Mounts[0].MountPoint: 'data' must be an absolute path other than /, without . or .."], errors);
    }

    [Fact]
    public void Collect_BadHealthEndpointAndInterface_NamesEachField()
    {
        var options = new AgentOptions();
        options.ArpInterfaces.Add("eth0/../x");
        options.HealthEndpoints.Add(new HealthEndpointOptions { Name = "", Protocol = "smtp", Port = 0 });

        var errors = AgentOptionsValidator.Collect(options);

        Assert.Equal(4, errors.Count);
        Assert.StartsWith("ArpInterfaces[0]:", errors[0]);
        Assert.Equal("HealthEndpoints[0].Name: required", errors[1]);
        Assert.StartsWith("HealthEndpoints[0].Protocol: 'smtp'", errors[2]);
        Assert.Equal("HealthEndpoints[0].Port: 0 must be 1..65535", errors[3]);
    }

    [Theory]
    [InlineData("rw,nfsvers=4.1,hard,timeo=600,_netdev,nofail,x-systemd.automount,noauto", "rw,nfsvers=4.1,hard,timeo=600,_netdev")]
    [InlineData(" ro , soft ", "ro,soft")]
    [InlineData("", "")]
    public void ToSystemd_GeneratorOnlyOptions_Dropped(string fstab, string expected)
        => Assert.Equal(expected, MountOptionString.ToSystemd(fstab));
}
