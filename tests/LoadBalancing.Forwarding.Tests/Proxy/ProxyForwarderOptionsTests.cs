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
}
