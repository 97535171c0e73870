using LoadBalancing.Model;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Scheduling.LocalityBasedLeastConnectionSchedulerTests;

namespace LoadBalancing.Tests.Scheduling;

public sealed class LocalityBasedLeastConnectionWithReplicationSchedulerTests
{
    private static readonly NetworkAddress CacheObject = NetworkAddress.Parse("198.51.100.80");

    [Fact]
    public void Pick_MemberOverloaded_AddsWlcChoiceAtHeadOfSet()
    {
        var (service, _) = Create("lblcr", ("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionWithReplicationScheduler)service.Scheduler;
        Assert.Equal("10.0.0.2", Pick(service, CacheObject));
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 2, inactive: 0);

        Assert.Equal("10.0.0.1", Pick(service, CacheObject));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], scheduler.SetFor(CacheObject).Select(d => d.Address.ToString()));
    }

    [Fact]
    public void Pick_SetWithTwoMembers_UsesWeightedLeastLoadedMember()
    {
        var (service, _) = Create("lblcr", ("10.0.0.1", 1), ("10.0.0.2", 1));
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 2, inactive: 0);
        Pick(service, CacheObject); // set {.1, .2}

        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 0, inactive: 0);
        TestServices.Dest(service, "10.0.0.1").SetCountersForTesting(active: 0, inactive: 5);

        Assert.Equal("10.0.0.2", Pick(service, CacheObject)); // oh 5 vs 0
    }

    [Fact]
    public void Pick_SetUnchangedLongerThanExpiration_DropsMostLoadedMember()
    {
        var (service, time) = Create("lblcr", ("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionWithReplicationScheduler)service.Scheduler;
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 2, inactive: 0);
        Pick(service, CacheObject); // set {.1, .2}, lastmod = t0

        // Hourly use keeps the entry alive without changing the set; at exactly t0 + 24 h nothing happens
        // (time_after is strict), one second later the most loaded member (.2, oh 512) goes.
        for (var hour = 0; hour < 24; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            Assert.Equal("10.0.0.1", Pick(service, CacheObject));
        }

        Assert.Equal(2, scheduler.SetFor(CacheObject).Length);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("10.0.0.1", Pick(service, CacheObject));
        Assert.Equal(["10.0.0.1"], scheduler.SetFor(CacheObject).Select(d => d.Address.ToString()));
    }

    [Fact]
    public void Pick_EntryUnusedForExpiration_IsCollected()
    {
        var (service, time) = Create("lblcr", ("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionWithReplicationScheduler)service.Scheduler;
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 1, inactive: 0);

        time.Advance(TimeSpan.FromHours(24));

        Assert.Equal("10.0.0.1", Pick(service, CacheObject)); // fresh entry: wlc prefers the idle .1
        Assert.Equal(1, scheduler.EntryCount);
        Assert.Equal(["10.0.0.1"], scheduler.SetFor(CacheObject).Select(d => d.Address.ToString()));
    }

    [Fact]
    public void Pick_OnlyMemberQuiesced_ReplicatesToAnotherServer()
    {
        var (service, _) = Create("lblcr", ("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionWithReplicationScheduler)service.Scheduler;
        Pick(service, CacheObject);

        service.SetWeight(TestServices.Dest(service, "10.0.0.2"), 0);

        Assert.Equal("10.0.0.1", Pick(service, CacheObject));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], scheduler.SetFor(CacheObject).Select(d => d.Address.ToString()));
    }

    [Fact]
    public void Pick_NoEligibleServer_ReturnsNull()
    {
        var (service, _) = Create("lblcr", ("10.0.0.1", 0));

        Assert.Equal("-", Pick(service, CacheObject));
    }
}
