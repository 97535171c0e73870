using LoadBalancing.Director.Host.Tests.Fixtures;

namespace LoadBalancing.Director.Host.Tests.EndToEnd;

/// <summary>A bad rules file or setting stops the real host with a clear line and a non-zero exit, never a stack trace.</summary>
public sealed class StartupErrorTests
{
    [Theory]
    [InlineData("-A -t 127.0.0.1:80 -s rr\n-A -t 127.0.0.1:81 -s nosuch\n", new string[0], "line 2: Scheduler or persistence engine not found")]
    [InlineData("", new[] { "--Director:ControlTcpEndpoint=127.0.0.1:0" }, "Director:BearerToken is required")]
    [InlineData("", new[] { "--Director:Metrics:Prometheus:Url=ftp://127.0.0.1/metrics" }, "Director:Metrics:Prometheus:Url 'ftp://127.0.0.1/metrics' must be http://ADDRESS:PORT/PATH")]
    [InlineData("", new[] { "--Director:Health:Checks:Rise=0" }, "Director:Health:Checks:Rise and Fall must be at least 1.")]
    [InlineData("", new[] { "--Director:Health:OutlierDetection:Enabled=true", "--Director:Health:OutlierDetection:Interval=soon" }, "Director:Health:OutlierDetection:Interval 'soon' must be a number of seconds")]
    [InlineData("", new[] { "--Director:Health:OutlierDetection:Enabled=yes" }, "Director:Health:OutlierDetection:Enabled 'yes' must be true or false.")]
    [InlineData("", new[] { "--Director:Health:VirtualServices:0:Service=127.0.0.1:80" }, "Director:Health:VirtualServices:0:Service '127.0.0.1:80' must be -t ADDRESS:PORT")]
    [InlineData("", new[] { "--Director:Health:VirtualServices:0:Service=-t 127.0.0.1:80", "--Director:Health:VirtualServices:0:SorryServer=nowhere" }, "Director:Health:VirtualServices:0:SorryServer 'nowhere' must be ADDRESS or ADDRESS:PORT.")]
    [InlineData("", new[] { "--Director:Forwarder=kernel" }, "Director:Forwarder 'kernel' must be proxy or dr")]
    [InlineData("", new[] { "--Director:Forwarder=dr" }, "Director:DirectRouting:InterfaceName is required with Director:Forwarder=dr")]
    [InlineData("", new[] { "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=eth0", "--Director:DirectRouting:Workers=many" }, "Director:DirectRouting:Workers 'many' must be a number")]
    [InlineData("", new[] { "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=eth0", "--Director:DirectRouting:Xdp=fast" }, "Director:DirectRouting:Xdp 'fast' must be off, generic, native or tc")]
    [InlineData("", new[] { "--Director:Forwarder=dr", "--Director:DirectRouting:InterfaceName=eth0", "--Director:DirectRouting:XdpMaxFlows=0" }, "Director:DirectRouting:XdpMaxFlows")]
    public async Task Start_BadInput_ClearErrorNoStackTrace(string rules, string[] settings, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("lbh-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "rules"), rules, TestContext.Current.CancellationToken);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DirectorProcess.StartAsync(directory, settings));

            Assert.Matches(@"lb-director exited with [12] during start", e.Message);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
