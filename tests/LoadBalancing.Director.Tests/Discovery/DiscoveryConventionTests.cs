using LoadBalancing.Director.Discovery;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Tests.Discovery;

public sealed class DiscoveryConventionTests
{
    [Theory]
    [InlineData("lb.vs=tcp:192.168.1.254:80", "TCP 192.168.1.254:80")]
    [InlineData("lb.vs=udp:10.0.0.1:53", "UDP 10.0.0.1:53")]
    [InlineData("lb.vs=sctp:10.0.0.1:3868", "SCTP 10.0.0.1:3868")]
    [InlineData("lb.vs=tcp:[2001:db8::1]:443", "TCP [2001:db8::1]:443")]
    [InlineData("lb.vs=fwm:7", "FWM 7")]
    [InlineData("tcp:10.0.0.1:80", "TCP 10.0.0.1:80")]
    public void TryParseVirtualService_Valid_KeyAndRoundTrip(string tag, string expected)
    {
        Assert.True(DiscoveryConvention.TryParseVirtualService(tag, out var key, out var error), error);

        Assert.Equal(expected, key.ToString());
        Assert.True(DiscoveryConvention.TryParseVirtualService(DiscoveryConvention.FormatVirtualServiceTag(key), out var again, out _));
        Assert.Equal(key, again);
    }

    [Theory]
    [InlineData("lb.vs=tcp", "expected lb.vs=tcp|udp|sctp:ADDRESS:PORT")]
    [InlineData("lb.vs=icmp:10.0.0.1:80", "unknown protocol 'icmp'")]
    [InlineData("lb.vs=tcp:2001:db8::1:80", "must be in brackets")]
    [InlineData("lb.vs=tcp:10.0.0.300:80", "is not an IP address")]
    [InlineData("lb.vs=tcp:10.0.0.1:0", "1..65535")]
    [InlineData("lb.vs=tcp:10.0.0.1:70000", "1..65535")]
    [InlineData("lb.vs=fwm:0", "firewall mark")]
    public void TryParseVirtualService_Invalid_SaysWhy(string tag, string expected)
    {
        Assert.False(DiscoveryConvention.TryParseVirtualService(tag, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains(tag, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ForwardingMethod.Route)]
    [InlineData("route", ForwardingMethod.Route)]
    [InlineData("tunnel", ForwardingMethod.Tunnel)]
    [InlineData("masq", ForwardingMethod.Masquerade)]
    [InlineData("MASQ", ForwardingMethod.Masquerade)]
    public void TryParseForwarding_Known(string? value, ForwardingMethod expected)
    {
        Assert.True(DiscoveryConvention.TryParseForwarding(value, out var method));
        Assert.Equal(expected, method);
        Assert.True(DiscoveryConvention.TryParseForwarding(DiscoveryConvention.FormatForwarding(method), out var again));
        Assert.Equal(method, again);
    }

    [Fact]
    public void TryParseForwarding_Unknown_False() => Assert.False(DiscoveryConvention.TryParseForwarding("carrier-pigeon", out _));
}
