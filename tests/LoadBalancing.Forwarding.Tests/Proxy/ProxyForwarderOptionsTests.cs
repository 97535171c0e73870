using LoadBalancing.Forwarding.Proxy;

namespace LoadBalancing.Forwarding.Tests.Proxy;

public sealed class ProxyForwarderOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass() => ProxyForwarderOptions.Default.Validate();

    [Fact]
    public void Validate_ZeroConnectAttempts_NamesTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyForwarderOptions { ConnectAttempts = 0 }.Validate());

        Assert.Equal(nameof(ProxyForwarderOptions.ConnectAttempts), error.ParamName);
    }

    [Fact]
    public void Validate_NegativeMaxConnections_NamesTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyForwarderOptions { MaxConnectionsPerService = -1 }.Validate());

        Assert.Equal(nameof(ProxyForwarderOptions.MaxConnectionsPerService), error.ParamName);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(ProxyForwarderOptions.MaxEventLoopThreads + 1)]
    public void Validate_EventLoopThreadsOutOfRange_NamesTheOption(int threads)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyForwarderOptions { EventLoopThreads = threads }.Validate());

        Assert.Equal(nameof(ProxyForwarderOptions.EventLoopThreads), error.ParamName);
    }

    [Fact]
    public void Validate_UndefinedEngine_NamesTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyForwarderOptions { Engine = (ProxyEngine)7 }.Validate());

        Assert.Equal(nameof(ProxyForwarderOptions.Engine), error.ParamName);
    }
}
