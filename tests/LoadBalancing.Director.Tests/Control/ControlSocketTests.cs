using System.Diagnostics;
using LoadBalancing.Director.Tests.Fakes;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Tests.Control;

/// <summary>Who may reach the control API: the socket's group and mode, and TLS for TCP beyond loopback.</summary>
public sealed class ControlSocketTests
{
    [Fact]
    public async Task Start_ControlSocketGroup_SocketBelongsToGroupWithMode0660()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true", "giving a file to another group needs root");
            Assert.Fail("CI=true: giving a file to another group needs root");
        }

        // "daemon" (gid 1) exists on every Debian system and is not root's group.
        await using var director = await TestDirector.StartAsync(configure: o => o.ControlSocketGroup = "daemon");
        var path = director.SocketAddress["unix:".Length..];

        Assert.Equal("1 660", await StatAsync(path));
        Assert.Equal(0, director.Lbadm("-Ln").ExitCode);
    }

    [Fact]
    public async Task Start_UnknownControlSocketGroup_FailsNamingTheOption()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestDirector.StartAsync(configure: o => o.ControlSocketGroup = "no-such-group-lb"));

        Assert.Contains("Director:ControlSocketGroup 'no-such-group-lb' is not a group", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_TcpBeyondLoopbackWithoutCertificate_FailsNamingTheOption()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => TestDirector.StartAsync(configure: o =>
        {
            o.ControlTcpEndpoint = "0.0.0.0:0";
            o.BearerToken = "0123456789abcdef-test-token";
        }));

        Assert.Contains("so Director:CertificatePath (TLS) is required", e.Message, StringComparison.Ordinal);
    }

    private static async Task<string> StatAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%g %a", path]) { RedirectStandardOutput = true })!;
        var output = await stat.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await stat.WaitForExitAsync(TestContext.Current.CancellationToken);
        return output.Trim();
    }
}
