using System.Net.Sockets;
using LoadBalancing.Health.Outliers;

namespace LoadBalancing.Client.Tests;

public sealed class ClientFailuresTests
{
    [Fact]
    public void Classify_RefusedConnect_IsRefusedAndConnectFailure()
    {
        var e = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal(PassiveFailure.Refused, ClientFailures.Classify(e));
        Assert.True(ClientFailures.IsConnectFailure(e));
    }

    [Fact]
    public void Classify_TimeoutOrCancellation_IsTimeoutNotConnectFailure()
    {
        Assert.Equal(PassiveFailure.Timeout, ClientFailures.Classify(new TaskCanceledException("t", new TimeoutException())));
        Assert.Equal(PassiveFailure.Timeout, ClientFailures.Classify(new OperationCanceledException()));
        Assert.False(ClientFailures.IsConnectFailure(new TaskCanceledException()));
    }

    [Fact]
    public void Classify_ConnectionBrokenMidResponse_IsResetNotConnectFailure()
    {
        var e = new HttpRequestException(HttpRequestError.ResponseEnded, "ended", new IOException("eof"));

        Assert.Equal(PassiveFailure.Reset, ClientFailures.Classify(e));
        Assert.False(ClientFailures.IsConnectFailure(e));
    }

    [Fact]
    public void Classify_Unknown_IsOther()
        => Assert.Equal(PassiveFailure.Other, ClientFailures.Classify(new InvalidOperationException()));
}
