namespace LoadBalancing.Forwarding.Tests;

public sealed class ForwardingAssemblyTests
{
    [Fact]
    public void Name_IsTheAssemblyName()
    {
        Assert.Equal("LoadBalancing.Forwarding", ForwardingAssembly.Name);
    }
}
