using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using LoadBalancing.Director.Tests.Fakes;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Tests.Control;

/// <summary>The control API's health watch against real TCP health checks of a real listener that goes away and comes back.</summary>
public sealed class WatchHealthTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task WatchHealth_ServerStopsAndRestarts_StreamsCurrentThenDownThenUp()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await using var director = await TestDirector.StartAsync(services: lb => lb.AddHealthChecks(o => o.DefaultPolicy = new HealthCheckPolicy
            {
                DelayLoop = TimeSpan.FromMilliseconds(100),
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                Rise = 1,
                Fall = 1,
                Jitter = 0,
                InhibitOnFailure = true,
            }));
            Assert.Equal(0, director.Lbadm("-A -t 10.0.0.1:80 -s rr").ExitCode);
            Assert.Equal(0, director.Lbadm($"-a -t 10.0.0.1:80 -r 127.0.0.1:{port} -m -w 4").ExitCode);
            var target = $"TCP 10.0.0.1:80 -> 127.0.0.1:{port}";

            using var channel = DirectorChannel.Create(director.SocketAddress);
            var client = new Grpc.Control.Director.DirectorClient(channel);
            using var call = client.WatchHealth(new WatchHealthRequest(), cancellationToken: TestContext.Current.CancellationToken);

            var current = await NextAsync(call);
            Assert.True(current.Current);
            Assert.Equal(HealthEventKind.Check, current.Kind);
            Assert.Equal(target, current.Target);
            Assert.Equal(Grpc.Control.HealthState.Up, current.State);
            Assert.Equal(4, current.Weight);

            listener.Stop();
            var down = await NextAsync(call);
            Assert.False(down.Current);
            Assert.Equal(target, down.Target);
            Assert.Equal((Grpc.Control.HealthState.Down, Grpc.Control.HealthState.Up, 0), (down.State, down.PreviousState, down.Weight));
            Assert.Contains("ConnectionRefused", down.Reason, StringComparison.Ordinal);
            Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(down.TimestampUnixMs), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));

            listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            var up = await NextAsync(call);
            Assert.Equal((Grpc.Control.HealthState.Up, Grpc.Control.HealthState.Down, 4), (up.State, up.PreviousState, up.Weight));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task WatchHealth_OutlierDetection_StreamsEjectionAndReturn_AndCurrentEjectionsAtStart()
    {
        await using var director = await TestDirector.StartAsync(services: lb => lb
            .AddHealthChecks(o => o.ProbeFactory = _ => null) // passive health alone
            .AddOutlierDetection(new OutlierDetectionOptions
            {
                ConsecutiveFailures = 2,
                Interval = TimeSpan.FromMilliseconds(100),
                BaseEjectionTime = TimeSpan.FromSeconds(1), // the second ejection lasts 2 s: ample for the second watch to start
                SuccessRate = null,
            }));
        Assert.Equal(0, director.Lbadm("-A -t 10.0.0.1:80 -s rr").ExitCode);
        Assert.Equal(0, director.Lbadm("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 3").ExitCode);
        Assert.Equal(0, director.Lbadm("-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1").ExitCode);
        var detector = director.Services.GetRequiredService<OutlierDetector>();
        var server = director.Table.Table.Services[0].FindDestination(Model.NetworkAddress.Parse("10.0.0.2"), 80)!;

        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        using (var call = client.WatchHealth(new WatchHealthRequest(), cancellationToken: TestContext.Current.CancellationToken))
        {
            // Headers mean subscribed. No active checks: nothing current. Two failures in a row eject at once; the
            // return comes after 1 s.
            await call.ResponseHeadersAsync;
            detector.ReportFailure(server, PassiveFailure.Timeout);
            detector.ReportFailure(server, PassiveFailure.Timeout);
            var ejected = await NextAsync(call);
            Assert.Equal(HealthEventKind.Ejected, ejected.Kind);
            Assert.False(ejected.Current);
            Assert.Equal("TCP 10.0.0.1:80 -> 10.0.0.2:80", ejected.Target);
            Assert.Equal(0, ejected.Weight);
            Assert.Equal("consecutive failures", ejected.Reason);
            Assert.Equal(1000, ejected.EjectionMs);

            var returned = await NextAsync(call);
            Assert.Equal((HealthEventKind.Returned, "TCP 10.0.0.1:80 -> 10.0.0.2:80", 3), (returned.Kind, returned.Target, returned.Weight));
            Assert.Equal("", returned.Reason);
        }

        // A watch that starts while a server is ejected is told so first.
        detector.ReportFailure(server, PassiveFailure.Refused);
        detector.ReportFailure(server, PassiveFailure.Refused);
        Assert.True(detector.IsEjected(server));
        using var later = client.WatchHealth(new WatchHealthRequest(), cancellationToken: TestContext.Current.CancellationToken);
        var current = await NextAsync(later);
        Assert.Equal((HealthEventKind.Ejected, true, "TCP 10.0.0.1:80 -> 10.0.0.2:80", 0), (current.Kind, current.Current, current.Target, current.Weight));
    }

    [Fact]
    public async Task WatchHealth_NoHealthChecks_FailedPrecondition()
    {
        await using var director = await TestDirector.StartAsync();
        using var channel = DirectorChannel.Create(director.SocketAddress);
        var client = new Grpc.Control.Director.DirectorClient(channel);
        using var call = client.WatchHealth(new WatchHealthRequest(), cancellationToken: TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("health checks are not enabled", e.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<HealthEvent> NextAsync(AsyncServerStreamingCall<HealthEvent> call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(EventTimeout);
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the health watch ended");
        return call.ResponseStream.Current;
    }
}
