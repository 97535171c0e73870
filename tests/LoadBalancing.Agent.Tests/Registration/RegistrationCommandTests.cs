using LoadBalancing.Agent.Cli;

namespace LoadBalancing.Agent.Tests.Registration;

/// <summary>lbagent's registration configuration errors and the drain verb's usage errors: clear messages, exit 2.</summary>
public sealed class RegistrationCommandTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Plan_BadRegistration_Exit2NamingEveryField()
    {
        var (code, _, stderr) = await RunAsync(
            "plan",
            "--Agent:Registration:Director=unix:/nonexistent/director.sock",
            "--Agent:Registration:Services:0:Name=web",
            "--Agent:Registration:Services:0:VirtualService=tcp:2001:db8::1:80",
            "--Agent:Registration:Services:0:Address=not-an-ip",
            "--Agent:Registration:Services:0:Forward=smoke",
            "--Agent:Registration:Services:0:HealthEndpoint=nosuch");

        Assert.Equal(2, code);
        Assert.Contains("Agent:Registration:Services[0].VirtualService: 'tcp:2001:db8::1:80': an IPv6 VIP must be in brackets", stderr, StringComparison.Ordinal);
        Assert.Contains("Agent:Registration:Services[0].Address: 'not-an-ip'", stderr, StringComparison.Ordinal);
        Assert.Contains("Agent:Registration:Services[0].Forward: 'smoke'", stderr, StringComparison.Ordinal);
        Assert.Contains("Agent:Registration:Services[0].HealthEndpoint: no Agent:HealthEndpoints entry is named 'nosuch'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_NothingConfigured_Exit2()
    {
        var (code, _, stderr) = await RunAsync("drain", "--reason", "patching");

        Assert.Equal(2, code);
        Assert.Contains("nothing to drain", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_ReasonWithoutText_Exit2()
    {
        var (code, _, stderr) = await RunAsync("drain", "--reason");

        Assert.Equal(2, code);
        Assert.Contains("--reason needs a text", stderr, StringComparison.Ordinal);
    }
}
