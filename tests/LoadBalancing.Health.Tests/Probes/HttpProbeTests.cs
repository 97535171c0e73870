using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

public sealed class HttpProbeTests
{
    // RFC 1321 test suite / well-known value: MD5("The quick brown fox jumps over the lazy dog").
    private const string Fox = "The quick brown fox jumps over the lazy dog";
    private const string FoxMd5 = "9e107d9d372bb6826bd81d3542a419d6";

    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProbeAsync_Status200_Up()
    {
        await using var server = new TestHttpServer();
        using var probe = (IDisposable)HealthProbes.Http(new HttpProbeOptions { Path = "/health" });
        var result = await ((IHealthProbe)probe).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp, result.ToString());
        Assert.StartsWith("GET /health HTTP/1.1\r\n", Assert.Single(server.RequestHeads));
    }

    [Fact]
    public async Task ProbeAsync_Status500_DownWithStatusInReason()
    {
        await using var server = new TestHttpServer(status: 500);
        var result = await HealthProbes.Http(new HttpProbeOptions()).ProbeAsync(server.Target, Ct);
        Assert.False(result.IsUp);
        Assert.Equal("HTTP status 500", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_Status500Expected_Up()
    {
        await using var server = new TestHttpServer(status: 500);
        var result = await HealthProbes.Http(new HttpProbeOptions { ExpectedStatusCodes = [500] }).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp);
    }

    [Fact]
    public async Task ProbeAsync_Redirect_NotFollowedAndDown()
    {
        await using var server = new TestHttpServer(status: 302, location: "/elsewhere");
        var result = await HealthProbes.Http(new HttpProbeOptions()).ProbeAsync(server.Target, Ct);
        Assert.Equal("HTTP status 302", result.Reason);
        Assert.Single(server.RequestHeads);
    }

    [Fact]
    public async Task ProbeAsync_DigestMatches_Up()
    {
        await using var server = new TestHttpServer(body: Fox);
        var result = await HealthProbes.Http(new HttpProbeOptions { Digest = FoxMd5 }).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp, result.ToString());
    }

    [Fact]
    public async Task ProbeAsync_WrongBody_DownWithDigests()
    {
        await using var server = new TestHttpServer(body: Fox + ".");
        var result = await HealthProbes.Http(new HttpProbeOptions { Digest = FoxMd5.ToUpperInvariant() }).ProbeAsync(server.Target, Ct);
        Assert.False(result.IsUp);
        Assert.Contains(FoxMd5, result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_HostHeader_Sent()
    {
        await using var server = new TestHttpServer();
        var result = await HealthProbes.Http(new HttpProbeOptions { Host = "www.example.test" }).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp);
        Assert.Contains("\r\nHost: www.example.test\r\n", Assert.Single(server.RequestHeads));
    }

    [Fact]
    public async Task ProbeAsync_ServerHangs_DownOnReadTimeout()
    {
        await using var server = new TestHttpServer(hang: true);
        var result = await HealthProbes.Http(new HttpProbeOptions { ReadTimeout = TimeSpan.FromMilliseconds(200), ConnectTimeout = TimeSpan.FromMilliseconds(200) }).ProbeAsync(server.Target, Ct);
        Assert.Equal("HTTP timeout", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_Refused_Down()
    {
        var result = await HealthProbes.Http(new HttpProbeOptions()).ProbeAsync(FreePort.Loopback(FreePort.Tcp()), Ct);
        Assert.False(result.IsUp);
        Assert.Contains("refused", result.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ProbeAsync_TlsWithoutVerification_UpAndSendsServerName()
    {
        await using var server = new TestHttpServer(tls: true);
        // Generous timeouts: the first TLS handshake of a process (JIT, a fresh certificate) took over the 5 s default
        // once on a machine with a load average of 30; the assertion is about the outcome, not the speed.
        var result = await HealthProbes.Http(new HttpProbeOptions { UseTls = true, ServerName = "lb-health.test", ConnectTimeout = TimeSpan.FromSeconds(30), ReadTimeout = TimeSpan.FromSeconds(30) }).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp, result.ToString());
        Assert.Equal("lb-health.test", Assert.Single(server.ServerNames));
    }

    [Fact]
    public async Task ProbeAsync_TlsSelfSignedWithVerification_Down()
    {
        await using var server = new TestHttpServer(tls: true);
        var result = await HealthProbes.Http(new HttpProbeOptions { UseTls = true, ServerName = "lb-health.test", VerifyCertificate = true }).ProbeAsync(server.Target, Ct);
        Assert.False(result.IsUp);
        Assert.Empty(server.RequestHeads);
    }

    [Fact]
    public void Http_DigestNotHex_Throws()
        => Assert.Throws<ArgumentException>(() => HealthProbes.Http(new HttpProbeOptions { Digest = "xyz" }));
}
