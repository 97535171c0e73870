using Grpc.Health.V1;
using LoadBalancing.Health.Probes;
using LoadBalancing.Health.Tests.Fixtures;

namespace LoadBalancing.Health.Tests.Probes;

public sealed class GrpcHealthProbeTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public void EncodeRequest_Service_Field1LengthDelimited()
        => Assert.Equal(new byte[] { 0x0A, 0x02, (byte)'d', (byte)'b' }, GrpcHealthMessages.EncodeRequest("db"));

    [Fact]
    public void EncodeRequest_EmptyService_EmptyMessage()
        => Assert.Empty(GrpcHealthMessages.EncodeRequest(""));

    [Theory]
    [InlineData(new byte[] { 0x08, 0x01 }, 1)]
    [InlineData(new byte[] { }, 0)]                                   // proto3: absent field = UNKNOWN
    [InlineData(new byte[] { 0x12, 0x01, 0x41, 0x08, 0x02 }, 2)]      // unknown field 2 (string) skipped
    [InlineData(new byte[] { 0x08 }, -1)]                             // truncated varint
    [InlineData(new byte[] { 0x12, 0x05, 0x41 }, -1)]                 // length past the end
    public void DecodeStatus_Message_StatusOrMalformed(byte[] message, int expected)
        => Assert.Equal(expected, GrpcHealthMessages.DecodeStatus(message));

    [Fact]
    public async Task ProbeAsync_ServerServing_Up()
    {
        await using var server = await GrpcHealthServer.StartAsync();
        server.Set("", HealthCheckResponse.Types.ServingStatus.Serving);
        using var probe = (IDisposable)HealthProbes.Grpc();
        var result = await ((IHealthProbe)probe).ProbeAsync(server.Target, Ct);
        Assert.True(result.IsUp, result.ToString());
    }

    [Fact]
    public async Task ProbeAsync_ServiceNotServing_Down()
    {
        await using var server = await GrpcHealthServer.StartAsync();
        server.Set("db", HealthCheckResponse.Types.ServingStatus.NotServing);
        var result = await HealthProbes.Grpc(new GrpcHealthProbeOptions { Service = "db" }).ProbeAsync(server.Target, Ct);
        Assert.Equal("gRPC health: NOT_SERVING", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_UnknownService_DownNotFound()
    {
        await using var server = await GrpcHealthServer.StartAsync();
        var result = await HealthProbes.Grpc(new GrpcHealthProbeOptions { Service = "nope" }).ProbeAsync(server.Target, Ct);
        Assert.False(result.IsUp);
        Assert.StartsWith("gRPC health: NotFound", result.Reason);
    }

    [Fact]
    public async Task ProbeAsync_Refused_DownUnavailable()
    {
        var result = await HealthProbes.Grpc().ProbeAsync(FreePort.Loopback(FreePort.Tcp()), Ct);
        Assert.StartsWith("gRPC health: Unavailable", result.Reason);
    }
}
