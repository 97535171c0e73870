using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Scheduling;

public sealed class LocalityBasedLeastConnectionSchedulerTests
{
    private static readonly NetworkAddress CacheObject = NetworkAddress.Parse("198.51.100.80");

    [Fact]
    public void Pick_KnownDestination_SticksToItsServerWhileOthersAreLessLoaded()
    {
        var (service, _) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        Assert.Equal("10.0.0.2", Pick(service, CacheObject)); // wlc tie → newest
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 1, inactive: 0);

        Assert.Equal("10.0.0.2", Pick(service, CacheObject)); // act 1 is not > weight 1
        Assert.Equal("10.0.0.1", Pick(service, NetworkAddress.Parse("198.51.100.81"))); // new address: wlc
    }

    [Fact]
    public void Pick_CachedServerOverActiveWeightAndSomeServerBelowHalf_Reassigns()
    {
        var (service, _) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 2, inactive: 0);

        Assert.Equal("10.0.0.1", Pick(service, CacheObject)); // 2 > 1 and .1 has 0·2 < 1

        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 0, inactive: 0);
        TestServices.Dest(service, "10.0.0.1").SetCountersForTesting(active: 1, inactive: 0);
        Assert.Equal("10.0.0.1", Pick(service, CacheObject)); // the entry now points at .1
    }

    [Fact]
    public void Pick_CachedServerOverWeightButNoServerBelowHalf_Keeps()
    {
        var (service, _) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 2, inactive: 0);
        TestServices.Dest(service, "10.0.0.1").SetCountersForTesting(active: 1, inactive: 0);

        Assert.Equal("10.0.0.2", Pick(service, CacheObject));
    }

    [Fact]
    public void Pick_CachedServerQuiescedOrRemoved_Reassigns()
    {
        var (service, _) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        Pick(service, CacheObject);

        service.SetWeight(TestServices.Dest(service, "10.0.0.2"), 0);
        Assert.Equal("10.0.0.1", Pick(service, CacheObject));

        service.Apply(service.Config with { RealServers = [TestServices.Server("10.0.0.3", 1)] }, SchedulerRegistry.Default, TimeProvider.System);
        Assert.Equal("10.0.0.3", Pick(service, CacheObject));
    }

    [Fact]
    public void Pick_AllServersOverloadedOrQuiesced_ReturnsNull()
    {
        var (service, _) = Create(("10.0.0.1", 0), ("10.0.0.2", 1));
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(0, 0, overloaded: true);

        Assert.Null(service.Schedule(Request(CacheObject)));
    }

    [Fact]
    public void Collect_EntryUnusedForExpiration_IsDeletedAtTheFullCheckDueThen()
    {
        // Timer ticks every 60 s from creation; counter starts at 1, so every 30th tick (each 1800 s) is a full
        // check, which deletes entries with now >= lastuse + 24 h. 86400 s = 48 × 1800 s: exactly a full check.
        var (service, time) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionScheduler)service.Scheduler;
        Pick(service, CacheObject);

        time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        scheduler.Collect();
        Assert.Equal(1, scheduler.EntryCount);

        time.Advance(TimeSpan.FromSeconds(1));
        scheduler.Collect();
        Assert.Equal(0, scheduler.EntryCount);
    }

    [Fact]
    public void Pick_AfterExpiry_SchedulesAfresh()
    {
        var (service, time) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        Pick(service, CacheObject);
        TestServices.Dest(service, "10.0.0.2").SetCountersForTesting(active: 1, inactive: 0);

        time.Advance(TimeSpan.FromHours(24));

        Assert.Equal("10.0.0.1", Pick(service, CacheObject));
    }

    [Fact]
    public void Pick_UseRefreshesEntry_SoItOutlivesTheExpiration()
    {
        var (service, time) = Create(("10.0.0.1", 1), ("10.0.0.2", 1));
        var scheduler = (LocalityBasedLeastConnectionScheduler)service.Scheduler;
        Pick(service, CacheObject);

        time.Advance(TimeSpan.FromHours(23));
        Pick(service, CacheObject);
        time.Advance(TimeSpan.FromHours(23));
        scheduler.Collect();

        Assert.Equal(1, scheduler.EntryCount);
    }

    [Fact]
    public void Collect_TableOverMaximum_DeletesStaleEntriesBucketByBucketUntilGoal()
    {
        // 16 × 1024 + 1 entries. Ticks 1..5 find none idle for 6 min; tick 6 (t = 360 s) is not a full check
        // (counter 6), entries > max, goal = (16385 − 16384)·4/3 = 1: it walks from rover + 1 = bucket 1, deletes
        // that bucket's stale entries (all are stale) and stops. Then the table is within bounds: nothing more.
        var (service, time) = Create(("10.0.0.1", 1));
        var scheduler = (LocalityBasedLeastConnectionScheduler)service.Scheduler;
        var addresses = Enumerable.Range(0, 16385).Select(i => NetworkAddress.FromIPv4(0x0A000000u + (uint)i)).ToList();
        foreach (var address in addresses)
        {
            Pick(service, address);
        }

        var inBucketOne = addresses.Count(a => LocalityTable<LocalityServerEntry>.Bucket(a) == 1);
        Assert.InRange(inBucketOne, 1, 100);

        time.Advance(TimeSpan.FromSeconds(359));
        scheduler.Collect();
        Assert.Equal(16385, scheduler.EntryCount);

        time.Advance(TimeSpan.FromSeconds(1));
        scheduler.Collect();
        Assert.Equal(16385 - inBucketOne, scheduler.EntryCount);

        time.Advance(TimeSpan.FromMinutes(20));
        scheduler.Collect();
        Assert.Equal(16385 - inBucketOne, scheduler.EntryCount);
    }

    internal static (VirtualServiceState Service, FakeTimeProvider Time) Create(params (string Address, int Weight)[] servers)
        => Create("lblc", servers);

    internal static (VirtualServiceState Service, FakeTimeProvider Time) Create(string scheduler, params (string Address, int Weight)[] servers)
    {
        var time = new FakeTimeProvider();
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, TestServices.Vip, 80),
            Scheduler = scheduler,
            RealServers = [.. servers.Select(s => TestServices.Server(s.Address, s.Weight))],
        };
        return (VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, time), time);
    }

    internal static SchedulingRequest Request(NetworkAddress destination)
        => new(ServiceProtocol.Tcp, NetworkAddress.Parse("203.0.113.1"), 40000, destination, 80);

    internal static string Pick(VirtualServiceState service, NetworkAddress destination)
    {
        var request = Request(destination);
        return service.Schedule(in request)?.Address.ToString() ?? "-";
    }
}
