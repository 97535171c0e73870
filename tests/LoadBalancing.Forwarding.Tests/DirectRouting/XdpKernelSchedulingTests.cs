using System.Buffers.Binary;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>Kernel scheduling (<see cref="XdpScheduleRing"/>) in the XDP program.</summary>
public sealed class XdpKernelSchedulingTests() : KernelSchedulingTests(XdpMode.Generic);

/// <summary>Kernel scheduling in the tcx classifier, and the virtual addresses it marks PACKET_OTHERHOST.</summary>
public sealed class TcKernelSchedulingTests() : KernelSchedulingTests(XdpMode.Tc)
{
    [Fact]
    public void VirtualAddressMaps_FollowTheAddressesSet()
    {
        // The classifier loaded with the maps (the constructor built it with kernel scheduling: the verifier took both).
        Require();
        var maps = FastPath.VirtualAddresses!;
        Assert.Empty(maps.Read());

        NetworkAddress[] first = [NetworkAddress.Parse(Vip), NetworkAddress.Parse("10.77.0.101"), NetworkAddress.Parse("fd77::100")];
        FastPath.SetVirtualAddresses(first);
        Assert.Equal(first.Order(), maps.Read().Order());

        NetworkAddress[] second = [NetworkAddress.Parse("10.77.0.101"), NetworkAddress.Parse("fd77::200")];
        FastPath.SetVirtualAddresses(second);
        Assert.Equal(second.Order(), maps.Read().Order());

        FastPath.SetVirtualAddresses([]);
        Assert.Empty(maps.Read());
    }

    [Fact]
    public void FramesToAVirtualAddress_StillPassOrForwardAsBefore_WithTheAddressesMarked()
    {
        // The marking itself (skb->pkt_type) cannot be observed by BPF_PROG_TEST_RUN; the verdicts must not change.
        Require();
        FastPath.SetVirtualAddresses([NetworkAddress.Parse(Vip), NetworkAddress.Parse("fd77::100")]);
        var syn = Syn(40000);
        Assert.Equal(Forwarded, Run(syn).Verdict);
        Assert.Equal(Passed, Run(syn).Verdict);
        Assert.Equal(Passed, Run(Syn(40001, virtualPort: 8080)).Verdict);
        Assert.Equal(Passed, Run(new FrameBuilder().Ethernet(DirectorMac, ClientMac).Ip("fd77::a", "fd77::100").Tcp(40000, 80, flags: 0x02).Build()).Verdict);
    }
}

/// <summary>
/// The fast path scheduling bare SYNs in the kernel, run by the kernel (<c>BPF_PROG_TEST_RUN</c>) on the real maps:
/// the program hands out the service scheduler's picks in order, makes the flow, and user space adopts it into the
/// connection table; a change withdraws the published picks; what the kernel cannot schedule passes to user space.
/// </summary>
public abstract class KernelSchedulingTests : IDisposable
{
    internal const string Vip = "10.77.0.100";
    internal const string DirectorMac = "02:77:00:00:00:02";
    internal const string ClientMac = "02:77:00:00:00:0a";

    private readonly FakeTimeProvider _time = new();
    private readonly NeighbourCache _neighbours = new();
    private readonly XdpFastPath? _fastPath;
    private readonly BpfException? _createFailure;

    protected KernelSchedulingTests(XdpMode mode)
    {
        Mode = mode;
        Services = new ServiceTable(SchedulerRegistry.Default, _time);
        Connections = new ConnectionTable(_time);
        for (var i = 1; i <= 3; i++)
        {
            _neighbours.Set(NetworkAddress.Parse($"10.77.0.2{i}"), ServerMac(i));
        }

        Apply(Config(3, 2, 1));
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && BpfSystemCall.SystemCallNumber != 0)
        {
            try
            {
                _fastPath = XdpFastPath.Create(mode, 16 * 1024, Connections, _neighbours, Statistics, MacAddress.Parse(DirectorMac), drainRemoved: true, kernelScheduling: true);
                _fastPath.RefreshSchedule(Services.Services);
            }
            catch (BpfException ex)
            {
                // bpf() refused (RequireOrSkip reports it), or the verifier refused the program (Require fails with it)
                _createFailure = ex;
            }
        }
    }

    protected XdpMode Mode { get; }

    protected ServiceTable Services { get; }

    protected ConnectionTable Connections { get; }

    private protected DirectRoutingStatistics Statistics { get; } = new();

    private protected XdpFastPath FastPath => _fastPath!;

    /// <summary>Skips where BPF cannot be used; fails when it can but the fast path could not be created.</summary>
    protected void Require()
    {
        XdpTestSupport.RequireOrSkip();
        if (_createFailure is not null)
        {
            throw new InvalidOperationException("creating the fast path with kernel scheduling failed", _createFailure);
        }
    }

    protected uint Forwarded => Mode == XdpMode.Tc ? XdpProgram.TcRedirect : XdpProgram.Transmit;

    protected uint Passed => Mode == XdpMode.Tc ? unchecked((uint)XdpProgram.TcxNext) : XdpProgram.Pass;

    public static TheoryData<string, byte[]> SynsNotScheduledInTheKernel() => new()
    {
        { "SYN+ACK", Segment(40000, 0x12) },
        { "SYN+FIN", Segment(40000, 0x03) },
        { "SYN+RST", Segment(40000, 0x06) },
        { "bare ACK of an unknown flow", Segment(40000, 0x10) },
        { "SYN to a port without a service", Syn(40000, virtualPort: 443) },
        { "SYN to an lc service", Syn(40000, virtualPort: 8080) },
        { "SYN not for the director's MAC", new FrameBuilder().Ethernet("02:77:00:00:00:99", ClientMac).Tcp(40000, 80, flags: 0x02).Build() },
        { "SYN with IP options", new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(40000, 80, flags: 0x02).IPv4HeaderLength(6).Build() },
        { "UDP to the service's port", new FrameBuilder().Ethernet(DirectorMac, ClientMac).Udp(40000, 80).Payload("x").Build() },
    };

    public void Dispose()
    {
        _fastPath?.Dispose();
        _neighbours.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void BareSyns_TakeTheWrrSchedulersPicksInOrder_AndAreAdoptedInSynRecv()
    {
        Require();

        var expected = ReferencePicks(12);

        var served = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var syn = Syn((ushort)(40000 + i));
            var (verdict, output) = Run(syn);
            Assert.Equal(Forwarded, verdict);
            Assert.Equal(FrameBuilder.Mac(DirectorMac), output[6..12]);
            Assert.Equal(syn[12..], output[12..]);
            served.Add(Served(output));
        }

        Assert.Equal(expected, served);
        Assert.Equal(0, Connections.ConnectionCount);

        FastPath.Synchronize();

        for (var i = 0; i < 12; i++)
        {
            var connection = Connections.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.10"), (ushort)(40000 + i), NetworkAddress.Parse(Vip), 80);
            Assert.NotNull(connection);
            Assert.Equal(expected[i], connection.DestinationAddress.ToString());
            Assert.Equal("SYN_RECV", connection.StateName);
        }

        var service = Services.Services.Single(s => s.Key.Port == 80);
        Assert.Equal([6L, 4L, 2L], service.Destinations.OrderBy(d => d.Address).Select(d => d.Statistics.Connections));
        Assert.Equal(12, service.Statistics.InPackets);
        Assert.Equal(12, Statistics.KernelScheduled);
        Assert.Equal(12, Statistics.FastPathPackets);
        Assert.Equal(12, FastPath.CountKernelFlows());
    }

    [Fact]
    public void SynsReachingUserSpace_TakeTheNextPublishedPick_KernelAndUserSpaceHandOutOneSequence()
    {
        Require();
        var expected = ReferencePicks(6);
        var service = Services.Services.Single(s => s.Key.Port == 80);

        var served = new List<string> { Served(Run(Syn(40000)).Output), Served(Run(Syn(40001)).Output) };
        Assert.True(FastPath.TryTakePick(service, out var third));
        served.Add(third.Address.ToString());
        served.Add(Served(Run(Syn(40003)).Output));
        Assert.True(FastPath.TryTakePick(service, out var fifth));
        served.Add(fifth.Address.ToString());
        served.Add(Served(Run(Syn(40005)).Output));

        Assert.Equal(expected, served);
        Assert.False(FastPath.TryTakePick(Services.Services.Single(s => s.Key.Port == 8080), out _)); // lc: not in the kernel
    }

    [Fact]
    public void ServiceInALaterSlot_AfterAnEarlierSlotWasReleased_UserSpaceStillTakesItsPicks()
    {
        Require();
        var config = Config(3, 2, 1);
        var rr81 = config.Services[0] with { Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(Vip), 81), Scheduler = SchedulerNames.RoundRobin, RealServers = [Server(1, 1, 81)] };
        Apply(config with { Services = [.. config.Services, rr81] });
        FastPath.RefreshSchedule(Services.Services);
        var service81 = Services.Services.Single(s => s.Key.Port == 81);
        Assert.Equal(1, FastPath.Schedule!.SlotOf(service81));

        // Port 80 leaves kernel scheduling (lc): slot 0 is free, port 81 stays in slot 1.
        Apply(config with { Services = [config.Services[0] with { Scheduler = SchedulerNames.LeastConnection }, config.Services[1], rr81] });
        FastPath.RefreshSchedule(Services.Services);

        Assert.Equal(1, FastPath.Schedule.SlotOf(service81));
        Assert.True(FastPath.TryTakePick(service81, out var pick));
        Assert.Equal("10.77.0.21", pick.Address.ToString());
    }

    [Fact]
    public void AckAfterAKernelScheduledSyn_IsForwarded_AndEstablishesTheAdoptedConnection()
    {
        Require();
        var (_, synOut) = Run(Syn(40000));
        var (verdict, output) = Run(Segment(40000, 0x10));

        Assert.Equal(Forwarded, verdict);
        Assert.Equal(synOut[..12], output[..12]);
        FastPath.Synchronize();
        var connection = Connections.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.10"), 40000, NetworkAddress.Parse(Vip), 80)!;
        Assert.Equal("ESTABLISHED", connection.StateName);
        Assert.Equal(2, connection.Destination.Statistics.InPackets);
    }

    [Fact]
    public void RetransmittedSyn_PassesToUserSpace_WhichAdoptsTheKernelsConnectionFirst()
    {
        Require();
        var syn = Syn(40000);
        var (_, first) = Run(syn);

        var (verdict, output) = Run(syn);

        Assert.Equal(Passed, verdict);
        Assert.Equal(syn, output);
        var packet = new PacketInfo
        {
            Protocol = ServiceProtocol.Tcp,
            SourceAddress = NetworkAddress.Parse("10.77.0.10"),
            SourcePort = 40000,
            DestinationAddress = NetworkAddress.Parse(Vip),
            DestinationPort = 80,
            TcpFlags = TcpFlags.Syn,
            Length = syn.Length - 14,
        };
        FastPath.ReconcileSyn(in packet, scheduledInKernel: true);
        var connection = Connections.Find(ServiceProtocol.Tcp, packet.SourceAddress, 40000, packet.DestinationAddress, 80);
        Assert.NotNull(connection);
        Assert.Equal($"10.77.0.2{ServerOf(first)}", connection.DestinationAddress.ToString());
        Assert.Equal(1, Statistics.KernelScheduled);
    }

    [Theory]
    [MemberData(nameof(SynsNotScheduledInTheKernel))]
    public void SegmentTheKernelDoesNotSchedule_PassesUnchanged_AndMakesNoFlow(string what, byte[] frame)
    {
        Require();

        var (verdict, output) = Run(frame);

        Assert.True(verdict == Passed, $"{what}: verdict {verdict}");
        Assert.Equal(frame, output);
        Assert.Equal(0, FastPath.CountKernelFlows());
        Assert.Equal(0L, FastPath.Schedule!.ReadCounters(0).Head); // no pick taken
    }

    [Fact]
    public void WeightZero_WithdrawsThePublishedPicksAtOnce_NewSynsGoToTheOthersByWeight()
    {
        Require();
        Run(Syn(40000));
        Run(Syn(40001));

        Apply(Config(0, 2, 1));
        FastPath.RefreshSchedule(Services.Services);

        var servers = Enumerable.Range(0, 9).Select(i => ServerOf(Run(Syn((ushort)(41000 + i))).Output)).ToList();
        Assert.DoesNotContain(1, servers);
        Assert.Equal(6, servers.Count(s => s == 2));
        Assert.Equal(3, servers.Count(s => s == 3));
    }

    [Fact]
    public void NoServerMacKnown_SynsPassToUserSpace_PicksArePublishedOnceTheMacIs()
    {
        Require();
        using var neighbours = new NeighbourCache();
        using var fastPath = XdpFastPath.Create(Mode, 64, new ConnectionTable(_time), neighbours, new DirectRoutingStatistics(), MacAddress.Parse(DirectorMac), drainRemoved: true, kernelScheduling: true);
        fastPath.RefreshSchedule(Services.Services);
        Assert.Equal(Passed, Run(fastPath, Syn(40000)).Verdict);
        Assert.Equal(0, fastPath.CountKernelFlows());

        for (var i = 1; i <= 3; i++)
        {
            neighbours.Set(NetworkAddress.Parse($"10.77.0.2{i}"), ServerMac(i));
        }

        fastPath.RefillSchedule();
        Assert.Equal(Forwarded, Run(fastPath, Syn(40001)).Verdict);
    }

    [Fact]
    public void SweepInSlices_EachSliceAdoptsAPart_AndTheLastEndsTheSweep()
    {
        Require();
        const int Flows = 200;
        for (var i = 0; i < Flows; i++)
        {
            Assert.Equal(Forwarded, Run(Syn((ushort)(40000 + i))).Verdict);
        }

        // Slices of at least 64 entries: a batch ends on a bucket's boundary, so a slice reads 64 flows or a few more
        // (a batch that stopped short of 64 is followed by another one), but fewer than 128.
        var adopted = new List<int> { 0 };
        var ended = false;
        while (!ended && adopted.Count < 100)
        {
            ended = FastPath.SynchronizeSlice(entries: 64);
            adopted.Add(Connections.ConnectionCount);
        }

        Assert.True(ended, "the sweep never ended");
        var slices = adopted.Zip(adopted.Skip(1), (before, after) => after - before).ToList();
        Assert.True(slices.Count >= 2, $"slices: {string.Join(",", slices)}");
        Assert.All(slices[..^1], read => Assert.InRange(read, 64, 127));
        Assert.InRange(slices[^1], 0, 127);
        Assert.Equal(Flows, adopted[^1]);
        Assert.Equal(Flows, Enumerable.Range(0, Flows).Count(i => Find((ushort)(40000 + i))?.StateName == "SYN_RECV"));

        // The next slice starts another sweep.
        Assert.False(FastPath.SynchronizeSlice(entries: 64));
    }

    [Fact]
    public void SweepInSlices_MapGrownBeyondTheEstimate_TheTenthSliceReadsTheRest()
    {
        Require();

        // 12 000 flows the kernel made (unlisted until read), against an estimate of none: nine slices of one batch
        // (1 024 flows) each, then the rest at once, so the sweep still takes a second.
        const int Flows = 12_000;
        var made = 0;
        while (made < Flows)
        {
            FastPath.RefillSchedule();
            var before = made;
            while (made < Flows && Run(Syn((ushort)(20000 + made))).Verdict == Forwarded)
            {
                made++;
            }

            Assert.True(made > before, "the refill published no picks");
        }

        var slices = 0;
        var ended = false;
        while (!ended && slices < XdpFastPath.SlicesPerSweep)
        {
            ended = FastPath.SynchronizeSlice();
            slices++;
            if (slices == 1)
            {
                Assert.InRange(Connections.ConnectionCount, 1024, 2047);
            }
        }

        Assert.True(ended, $"the sweep did not end in {XdpFastPath.SlicesPerSweep} slices");
        Assert.Equal(XdpFastPath.SlicesPerSweep, slices);
        Assert.Equal(Flows, Connections.ConnectionCount);
    }

    [Fact]
    public void SynchronizeDuringASlicedSweep_StartsOver_AndReadsTheWholeMap()
    {
        Require();
        for (var i = 0; i < 200; i++)
        {
            Run(Syn((ushort)(40000 + i)));
        }

        Assert.False(FastPath.SynchronizeSlice(entries: 64));
        Assert.InRange(Connections.ConnectionCount, 64, 127);

        FastPath.Synchronize();
        Assert.Equal(200, Connections.ConnectionCount);
    }

    [Fact]
    public void PublishedPicksUsedUp_TheNextSynPassesToUserSpace_UntilTheRefill()
    {
        Require();
        var (head, produced) = FastPath.Schedule!.ReadCounters(0);
        Assert.Equal(XdpScheduleRing.MinimumLookahead, produced - head);
        for (var i = 0; i < XdpScheduleRing.MinimumLookahead; i++)
        {
            Assert.Equal(Forwarded, Run(Syn((ushort)(20000 + i))).Verdict);
        }

        Assert.Equal(Passed, Run(Syn(30000)).Verdict);

        // The refill sees the rate and publishes more than the minimum.
        FastPath.RefillSchedule();
        (head, produced) = FastPath.Schedule.ReadCounters(0);
        Assert.True(produced - head > XdpScheduleRing.MinimumLookahead, $"{produced - head} picks published");
        Assert.Equal(Forwarded, Run(Syn(30000)).Verdict);
    }

    [Fact]
    public void ReusedTupleAfterFin_TheKernelKeepsItOnItsServer_AndTheEntryGoesBackToSynRecv()
    {
        Require();
        var (_, first) = Run(Syn(40000));
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        Assert.Equal(Forwarded, Run(Segment(40000, 0x11)).Verdict);

        var (verdict, output) = Run(Syn(40000));

        Assert.Equal(Forwarded, verdict);
        Assert.Equal(first[..12], output[..12]);
        Assert.Equal(1L, FastPath.Schedule!.ReadCounters(0).Head); // no pick taken: IPVS keeps a FIN_WAIT entry's server

        // Neither flow was adopted before the renewal: one pass takes both, as one connection (IPVS counts none for the reuse).
        FastPath.Synchronize();
        var connection = Find(40000)!;
        Assert.Equal(Served(first), connection.DestinationAddress.ToString());
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal(1, connection.Destination.Statistics.Connections);
        Assert.Equal(4, connection.Destination.Statistics.InPackets);
        Assert.Equal(1, Statistics.KernelScheduled);
        Assert.Equal(1, Statistics.KernelReused);
        Assert.Equal(0, Statistics.FastPathErrors);

        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        FastPath.Synchronize();
        Assert.Equal("ESTABLISHED", Find(40000)!.StateName);
        Assert.Equal(5, connection.Destination.Statistics.InPackets);
        Assert.Equal(1, FastPath.CountKernelFlows());
    }

    [Fact]
    public void ReusedTupleOfAnAdoptedFlow_IsRenewed_AndTheOldFlowsLastCountsAreFolded()
    {
        Require();
        Run(Syn(40000));
        FastPath.Synchronize();
        CloseByFin(40000);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);

        FastPath.Synchronize();

        var connection = Find(40000)!;
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal(4, connection.Destination.Statistics.InPackets);
        Assert.Equal(1, Statistics.KernelReused);

        // The new connection's own FIN, and a third reuse, renew the flow again.
        CloseByFin(40000);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);
        FastPath.Synchronize();
        Assert.Equal(2, Statistics.KernelReused);
        Assert.Equal(7, connection.Destination.Statistics.InPackets);
        Assert.Equal("SYN_RECV", Find(40000)!.StateName);
        Assert.Equal(1, connection.Destination.Statistics.Connections);
    }

    [Fact]
    public void ReusedTupleOfAFlowUserSpaceMade_IsRenewedToo()
    {
        Require();
        var service = Services.Services.Single(s => s.Key.Port == 80);
        var packet = Packet(40000, TcpFlags.Syn);
        var decision = Connections.ProcessInbound(in packet, service);
        var mac = ServerMac(int.Parse(decision.Destination!.Address.ToString()[^1..], System.Globalization.CultureInfo.InvariantCulture));
        FastPath.OnForwarded(in packet, decision.Connection, mac);
        CloseByFin(40000);

        var (verdict, output) = Run(Syn(40000));

        Assert.Equal(Forwarded, verdict);
        Assert.Equal(FrameBuilder.Mac(mac.ToString()), output[..6]);
        FastPath.Synchronize();
        Assert.Equal("SYN_RECV", Find(40000)!.StateName);
        Assert.Equal(4, decision.Destination.Statistics.InPackets);
        Assert.Equal(1, Statistics.KernelReused);
    }

    [Theory]
    [InlineData("after a FIN and an RST (CLOSE: IPVS schedules afresh)", new byte[] { 0x10, 0x11, 0x04 })]
    [InlineData("after a FIN with no other segment (the fold could not tell FIN_WAIT)", new byte[] { 0x11 })]
    [InlineData("of an open connection (a retransmission, or a client's bug)", new byte[] { 0x10 })]
    public void ReusedTupleTheKernelCannotDecide_PassesToUserSpace(string what, byte[] segments)
    {
        Require();
        Run(Syn(40000));
        foreach (var flags in segments)
        {
            Assert.Equal(Forwarded, Run(Segment(40000, flags)).Verdict);
        }

        Assert.True(Run(Syn(40000)).Verdict == Passed, what);
        Assert.Equal(1L, FastPath.Schedule!.ReadCounters(0).Head);
    }

    [Fact]
    public void SecondReuseBeforeTheFirstWasTaken_RenewedAgain_BothClosedConnectionsCountedOnceInTheEntry()
    {
        Require();
        Run(Syn(40000));
        CloseByFin(40000);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);
        CloseByFin(40000);

        var third = Run(Syn(40000));

        Assert.Equal(Forwarded, third.Verdict);
        Assert.Equal(1L, FastPath.Schedule!.ReadCounters(0).Head); // renewals take no pick
        FastPath.Synchronize();
        var connection = Find(40000)!;
        Assert.Equal("SYN_RECV", connection.StateName); // the third connection's SYN, after the others' FINs
        Assert.Equal(7, connection.Destination.Statistics.InPackets); // 3 + 3 + the SYN, none twice
        Assert.Equal(1, Statistics.KernelScheduled);
        Assert.Equal(2, Statistics.KernelReused); // the second connection lived and closed between two rounds
        Assert.Equal(1, connection.Destination.Statistics.Connections);
    }

    [Fact]
    public void SecondReuseBeforeTheFirstWasTaken_AUserSpaceSynReconcilesAll_AndFindsTheEntryInFinWait()
    {
        Require();
        Run(Syn(40000));
        CloseByFin(40000);
        Run(Syn(40000));
        CloseByFin(40000);
        Run(Syn(40000));
        CloseByFin(40000);

        // A retransmitted SYN of the third connection, say, reaches user space: it reconciles before it decides.
        var packet = Packet(40000, TcpFlags.Syn);
        FastPath.ReconcileSyn(in packet, scheduledInKernel: true);

        var connection = Find(40000)!;
        Assert.Equal("FIN_WAIT", connection.StateName);
        Assert.Equal(9, connection.Destination.Statistics.InPackets);
        Assert.Equal(2, Statistics.KernelReused);
    }

    [Fact]
    public void UserSpaceSyn_OfAFlowWhoseFinOnlyTheKernelSaw_FindsTheEntryInFinWait()
    {
        Require();
        Run(Syn(40000));
        FastPath.Synchronize();
        CloseByFin(40000);
        Assert.Equal("SYN_RECV", Find(40000)!.StateName);

        var packet = Packet(40000, TcpFlags.Syn);
        FastPath.ReconcileSyn(in packet, scheduledInKernel: true);

        Assert.Equal("FIN_WAIT", Find(40000)!.StateName);
    }

    [Fact]
    public void WithoutKernelScheduling_AUserSpaceSynFoldsTheFlowFirst_AnRstOnlyTheKernelSawLetsIpvsScheduleAfresh()
    {
        Require();
        var connections = new ConnectionTable(_time);
        using var fastPath = XdpFastPath.Create(Mode, 64, connections, _neighbours, new DirectRoutingStatistics(), MacAddress.Parse(DirectorMac), drainRemoved: true, kernelScheduling: false);
        var service = Services.Services.Single(s => s.Key.Port == 80);
        var syn = Packet(40000, TcpFlags.Syn);
        var first = connections.ProcessInbound(in syn, service);
        fastPath.OnForwarded(in syn, first.Connection, _neighbours.TryGetMac(first.Destination!.Address, out var mac) ? mac : default);
        Assert.Equal(Forwarded, Run(fastPath, Segment(40000, 0x10)).Verdict);
        Assert.Equal(Forwarded, Run(fastPath, Segment(40000, 0x04)).Verdict);
        Assert.Equal(Passed, Run(fastPath, Syn(40000)).Verdict); // no scheduling in the kernel: every SYN is user space's

        fastPath.ReconcileSyn(in syn, scheduledInKernel: false);

        Assert.Equal("CLOSE", first.Connection!.StateName);
        var again = connections.ProcessInbound(in syn, service);
        Assert.NotSame(first.Connection, again.Connection); // CLOSE: conn_reuse_mode schedules the reused tuple afresh
    }

    [Fact]
    public void Renewal_InTheFlowsOwnValue_SameIncarnationAndPick_OneMoreRenewal_TheNewConnectionCountsFromItsSyn()
    {
        Require();
        Run(Syn(40000));
        var key = FlowKey(40000);
        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue made));
        CloseByFin(40000);

        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);

        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue renewed));
        Assert.Equal(made.Incarnation, renewed.Incarnation);
        Assert.Equal(made.Scheduled, renewed.Scheduled); // the pick's id, and a SYN of the same length
        Assert.Equal(((ushort)0, (ushort)0, 1u), (made.Renewals, made.FinsBase, made.Base));
        Assert.Equal(((ushort)1, (ushort)1, 4u), (renewed.Renewals, renewed.FinsBase, renewed.Base)); // SYN, ACK, FIN, and the renewing SYN
        Assert.Equal(4UL, renewed.Packets);
        Assert.Equal(4 * made.Bytes, renewed.Bytes);
        Assert.Equal((1UL, 0UL), (renewed.Fins, renewed.Resets)); // every connection's
        Assert.Equal((0u, (ushort)0), (renewed.CurrentPackets, renewed.CurrentFins));

        // The new connection's ACK counts as its own packet; its FIN as its own FIN.
        CloseByFin(40000);
        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue closed));
        Assert.Equal((2u, (ushort)1, 2UL, 6UL), (closed.CurrentPackets, closed.CurrentFins, closed.Fins, closed.Packets));

        // And the tuple is renewed again from there.
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);
        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue again));
        Assert.Equal(((ushort)2, (ushort)2, 7u, 0u), (again.Renewals, again.FinsBase, again.Base, again.CurrentPackets));
    }

    [Fact]
    public void RenewedConnectionStillOpen_ItsSynAgainIsNotRenewed_ButPassesToUserSpace()
    {
        Require();
        Run(Syn(40000));
        CloseByFin(40000);
        Run(Syn(40000));
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);

        Assert.Equal(Passed, Run(Syn(40000)).Verdict); // no FIN of the renewed connection yet: a retransmission
    }

    [Fact]
    public void WithdrawingAFlowTheKernelJustRenewed_FoldsTheRenewal_TheNewConnectionGoesOnInUserSpace()
    {
        Require();
        var (connection, renewed) = AdoptedClosedAndRenewed(40000);

        // A segment of the old connection that user space handles (a FIN retransmitted with IP options) withdraws
        // the flow it knows, renewed by then: the renewal is folded, and the new connection leaves the kernel too.
        var fin = Packet(40000, TcpFlags.Fin | TcpFlags.Ack);
        FastPath.OnForwarded(in fin, connection, MacAddress.Read(renewed.AsSpan(0, 6)));

        Assert.Equal(0, FastPath.CountKernelFlows());
        Assert.Same(connection, Find(40000));
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal(4, connection.Destination.Statistics.InPackets);
        Assert.Equal(1, connection.Destination.Statistics.Connections);
        Assert.Equal(1, Statistics.KernelReused);

        // Its ACK reaches user space, which finds the entry and offers the established flow to the kernel again.
        Assert.Equal(Passed, Run(Segment(40000, 0x10)).Verdict);
        var service = Services.Services.Single(s => s.Key.Port == 80);
        var ack = Packet(40000, TcpFlags.Ack);
        var decision = Connections.ProcessInbound(in ack, service);
        Assert.Same(connection, decision.Connection);
        Assert.Equal("ESTABLISHED", connection.StateName);
        FastPath.OnForwarded(in ack, connection, MacAddress.Read(renewed.AsSpan(0, 6)));
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
    }

    [Fact]
    public void AdoptedFlowRenewedTwiceBetweenTwoFolds_EveryPacketCountedOnce_InTheSameEntry()
    {
        Require();
        var (connection, _) = AdoptedClosedAndRenewed(40000);
        CloseByFin(40000);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);

        var syn = Packet(40000, TcpFlags.Syn);
        FastPath.ReconcileSyn(in syn, scheduledInKernel: true);
        FastPath.Synchronize();

        Assert.Same(connection, Find(40000));
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal(7, connection.Destination.Statistics.InPackets);
        Assert.Equal(7, Statistics.FastPathPackets);
        Assert.Equal(2, Statistics.KernelReused);
        Assert.Equal(1, connection.Destination.Statistics.Connections);
        Assert.Equal(0, Statistics.FastPathErrors);
    }

    [Fact]
    public void RenewalAfterTheOldEntryExpired_ANewEntryIsMade_AndTheFlowFollowsIt()
    {
        Require();
        var (connection, _) = AdoptedClosedAndRenewed(40000);
        _time.Advance(TimeSpan.FromMinutes(10));
        Connections.Expire();
        Assert.True(connection.IsRemoved);

        FastPath.Synchronize();

        var renewed = Find(40000);
        Assert.NotNull(renewed);
        Assert.NotSame(connection, renewed);
        Assert.Equal("SYN_RECV", renewed.StateName);
        Assert.Equal(connection.Destination, renewed.Destination);
        Assert.Equal(2, renewed.Destination.Statistics.Connections); // IPVS too schedules a tuple whose entry is gone
        Assert.Equal(1, FastPath.CountKernelFlows());

        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        FastPath.Synchronize();
        Assert.Equal("ESTABLISHED", renewed.StateName);
        Assert.Equal(1, FastPath.CountKernelFlows());
    }

    [Fact]
    public void RenewalTheTableDoesNotTake_ServiceMadePersistentMeanwhile_IsAnError_AndTheFlowLeavesTheKernel()
    {
        Require();
        var (connection, _) = AdoptedClosedAndRenewed(40000);
        Apply(Config(3, 2, 1, persistence: TimeSpan.FromMinutes(5)));
        FastPath.RefreshSchedule(Services.Services);

        // The fold folds the closing connection's last segments; the renewing SYN has no entry to go to (a persistent
        // service's connections need a template, which only user space's scheduling makes).
        FastPath.Synchronize();

        Assert.Equal(1, Statistics.FastPathErrors);
        Assert.Equal("FIN_WAIT", connection.StateName);
        Assert.Equal(0, FastPath.CountKernelFlows());
        Assert.Equal(Passed, Run(Segment(40000, 0x10)).Verdict); // the new connection's packets go to user space
    }

    [Fact]
    public void ValueOlderThanWhatWasFolded_RenewedFromThere_IsFoldedAllTheSame_EveryPacketCountedOnce()
    {
        Require();
        var connection = AdoptedAndClosed(40000);
        var key = FlowKey(40000);
        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue copy));

        // One more segment, folded, then the value goes back to the copy and is renewed from there: a base no more
        // than what was folded. The kernel renews in place and never goes back (a renewal that copied the value
        // could, when another CPU counted a packet into the old one meanwhile), but a fold must not stop on it.
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        FastPath.Synchronize();
        BpfSystemCall.Update(FastPath.FlowMap, in key, in copy);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);

        FastPath.Synchronize();

        Assert.Same(connection, Find(40000));
        Assert.Equal("ESTABLISHED", connection.StateName); // the renewing SYN, then the new connection's ACK
        Assert.Equal(1, Statistics.KernelReused);
        Assert.Equal(6, connection.Destination.Statistics.InPackets); // SYN, ACK, FIN, ACK; SYN, ACK
        Assert.Equal(6, Statistics.FastPathPackets);

        // The flow goes on folding: the new connection's FIN.
        Assert.Equal(Forwarded, Run(Segment(40000, 0x11)).Verdict);
        FastPath.Synchronize();
        Assert.Equal("FIN_WAIT", connection.StateName);
        Assert.Equal(7, connection.Destination.Statistics.InPackets);
    }

    [Fact]
    public void RenewalReadHalfWritten_WordClaimedSynNotCountedYet_IsNotFolded_TheNextPassFoldsItOnce()
    {
        Require();
        var connection = AdoptedAndClosed(40000);
        FastPath.Synchronize();
        Assert.Equal("FIN_WAIT", connection.StateName);
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict);
        var key = FlowKey(40000);
        Assert.True(BpfSystemCall.Lookup(FastPath.FlowMap, in key, out XdpFlowValue renewed));

        // What a reader copies between the program's claim of the renewal word and its add of the SYN's packet.
        var half = renewed;
        half.Packets--;
        half.Bytes -= renewed.Bytes / 4;
        Assert.Equal(uint.MaxValue, half.CurrentPackets);
        BpfSystemCall.Update(FastPath.FlowMap, in key, in half);
        FastPath.Synchronize();

        Assert.Equal("FIN_WAIT", connection.StateName); // not folded: no SYN applied
        Assert.Equal(0, Statistics.KernelReused);
        Assert.Equal(3, connection.Destination.Statistics.InPackets);

        BpfSystemCall.Update(FastPath.FlowMap, in key, in renewed);
        FastPath.Synchronize();

        Assert.Same(connection, Find(40000));
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal(1, Statistics.KernelReused);
        Assert.Equal(4, connection.Destination.Statistics.InPackets); // SYN, ACK, FIN; SYN
        Assert.Equal(4, Statistics.FastPathPackets);
        Assert.Equal((long)renewed.Bytes, Statistics.FastPathBytes);
    }

    [Fact]
    public void FlowEvictedAndMadeAgainByTheKernel_TheOldLeavesTheList_TheNewIsAdoptedOnItsPick()
    {
        Require();
        // Other clients first take the picks up to where two in a row differ: the tuple's second SYN goes to another server.
        var picks = ReferencePicks(6);
        var skip = Enumerable.Range(0, 5).First(i => picks[i] != picks[i + 1]);
        for (var i = 0; i < skip; i++)
        {
            Run(Syn((ushort)(41000 + i)));
        }

        var (_, first) = Run(Syn(40000));
        FastPath.Synchronize();
        var old = Find(40000)!;
        var key = FlowKey(40000);
        Assert.True(BpfSystemCall.Delete(FastPath.FlowMap, key)); // as an LRU eviction would

        // The client's SYN again (a retransmission, say): a miss, so the kernel schedules it with the next pick.
        var (verdict, second) = Run(Syn(40000));
        Assert.Equal(Forwarded, verdict);
        Assert.Equal(picks[skip..(skip + 2)], [Served(first), Served(second)]);

        FastPath.Synchronize();

        var connection = Find(40000)!;
        Assert.Equal(Served(second), connection.DestinationAddress.ToString());
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.True(old.IsRemoved); // the connection follows its SYN to the other server
        Assert.Equal(skip + 2, Statistics.KernelScheduled);
        Assert.Equal(0, Statistics.FastPathErrors);
        Assert.Equal(skip + 1, FastPath.CountKernelFlows());
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        FastPath.Synchronize();
        Assert.Equal("ESTABLISHED", Find(40000)!.StateName);
    }

    [Fact]
    public void WithdrawingAFlowWhoseTupleTheKernelMadeAgain_LeavesTheNewFlowInTheKernel_TheNextPassAdoptsIt()
    {
        Require();
        var (_, first) = Run(Syn(40000));
        FastPath.Synchronize();
        var old = Find(40000)!;
        var key = FlowKey(40000);
        Assert.True(BpfSystemCall.Delete(FastPath.FlowMap, key)); // as an LRU eviction would
        Assert.Equal(Forwarded, Run(Syn(40000)).Verdict); // the kernel makes the flow again

        // A segment of the old connection that user space handles (a FIN with IP options) withdraws the flow it
        // lists; the kernel's new flow is not that one and stays.
        var fin = Packet(40000, TcpFlags.Fin | TcpFlags.Ack);
        FastPath.OnForwarded(in fin, old, MacAddress.Read(first.AsSpan(0, 6)));

        Assert.Equal(1, FastPath.CountKernelFlows());
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
        FastPath.Synchronize();
        Assert.Equal(2, Statistics.KernelScheduled);
        Assert.Equal(0, Statistics.FastPathErrors);
        Assert.Equal("ESTABLISHED", Find(40000)!.StateName);
        Assert.Equal(Forwarded, Run(Segment(40000, 0x10)).Verdict);
    }

    [Fact]
    public void FlowUserSpaceNoLongerLists_IsRemovedAfterTwoPasses_ItsCountsGoToTheEntry()
    {
        Require();
        var service = Services.Services.Single(s => s.Key.Port == 80);
        var syn = Packet(40000, TcpFlags.Syn);
        var connection = Connections.ProcessInbound(in syn, service).Connection!;
        var key = FlowKey(40000);
        var value = XdpFlowValue.Create(ServerMac(1), MacAddress.Parse(DirectorMac));
        value.Packets = 3;
        value.Bytes = 120;
        value.Fins = 1;
        BpfSystemCall.Update(FastPath.FlowMap, in key, in value);

        FastPath.Synchronize();
        Assert.Equal(1, FastPath.CountKernelFlows()); // one pass is not enough: it could be an offload in progress
        FastPath.Synchronize();

        Assert.Equal(0, FastPath.CountKernelFlows());
        Assert.Equal(4, connection.Destination.Statistics.InPackets);
        Assert.Equal("FIN_WAIT", connection.StateName);
    }

    protected static byte[] Syn(ushort clientPort, ushort virtualPort = 80)
        => new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(clientPort, virtualPort, flags: 0x02).Build();

    protected static byte[] Segment(ushort clientPort, byte flags)
        => new FrameBuilder().Ethernet(DirectorMac, ClientMac).Tcp(clientPort, 80, flags).Build();

    protected (uint Verdict, byte[] Output) Run(byte[] frame) => Run(FastPath, frame);

    /// <summary>The client's ACK, then its FIN: the flow is closed by a FIN after another segment (FIN_WAIT).</summary>
    private void CloseByFin(ushort clientPort)
    {
        Run(Segment(clientPort, 0x10));
        Run(Segment(clientPort, 0x11));
    }

    /// <summary>
    /// A connection the kernel scheduled and user space adopted, closed by the client's FIN, whose tuple the client
    /// reuses at once: the kernel renews the flow. Returns the old entry and the renewed SYN as forwarded.
    /// </summary>
    private (Connection Connection, byte[] Renewed) AdoptedClosedAndRenewed(ushort clientPort)
    {
        var connection = AdoptedAndClosed(clientPort);
        var (verdict, renewed) = Run(Syn(clientPort));
        Assert.Equal(Forwarded, verdict);
        return (connection, renewed);
    }

    /// <summary>A connection the kernel scheduled and user space adopted, closed by the client's FIN (not folded yet).</summary>
    private Connection AdoptedAndClosed(ushort clientPort)
    {
        Run(Syn(clientPort));
        FastPath.Synchronize();
        var connection = Find(clientPort)!;
        CloseByFin(clientPort);
        return connection;
    }

    private static XdpFlowKey FlowKey(ushort clientPort)
        => XdpFlowKey.Create(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.10"), clientPort, NetworkAddress.Parse(Vip), 80);

    private Connection? Find(ushort clientPort)
        => Connections.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.10"), clientPort, NetworkAddress.Parse(Vip), 80);

    private static PacketInfo Packet(ushort clientPort, TcpFlags flags) => new()
    {
        Protocol = ServiceProtocol.Tcp,
        SourceAddress = NetworkAddress.Parse("10.77.0.10"),
        SourcePort = clientPort,
        DestinationAddress = NetworkAddress.Parse(Vip),
        DestinationPort = 80,
        TcpFlags = flags,
        Length = 40,
    };

    private static MacAddress ServerMac(int server) => MacAddress.Parse($"02:77:00:00:00:{0x14 + server:x2}");

    /// <summary>What user space would have picked: the same configuration on a table of its own.</summary>
    private List<string> ReferencePicks(int count)
    {
        var reference = new ServiceTable(SchedulerRegistry.Default, _time);
        reference.Apply(Config(3, 2, 1));
        var service = reference.Services.Single(s => s.Key.Port == 80);
        var request = new SchedulingRequest(ServiceProtocol.Tcp, NetworkAddress.Parse("10.77.0.10"), 1, NetworkAddress.Parse(Vip), 80);
        return [.. Enumerable.Range(0, count).Select(_ => service.Schedule(in request)!.Address.ToString())];
    }

    private static string Served(byte[] output) => $"10.77.0.2{ServerOf(output)}";

    /// <summary>The real server (1..3) whose MAC a forwarded frame carries, or 0.</summary>
    private static int ServerOf(byte[] output)
    {
        for (var i = 1; i <= 3; i++)
        {
            if (FrameBuilder.Mac(ServerMac(i).ToString()).AsSpan().SequenceEqual(output.AsSpan(0, 6)))
            {
                return i;
            }
        }

        return 0;
    }

    private static (uint Verdict, byte[] Output) Run(XdpFastPath fastPath, byte[] frame)
    {
        var output = new byte[4096];
        var verdict = BpfSystemCall.TestRun(fastPath.Program, frame, output, out var length);
        return (verdict, output[..length]);
    }

    private static LoadBalancerConfig Config(int w1, int w2, int w3, TimeSpan? persistence = null) => new()
    {
        Services =
        [
            new VirtualServiceConfig
            {
                Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(Vip), 80),
                Scheduler = SchedulerNames.WeightedRoundRobin,
                RealServers = [Server(1, w1), Server(2, w2), Server(3, w3)],
                PersistenceTimeout = persistence,
            },
            new VirtualServiceConfig
            {
                Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse(Vip), 8080),
                Scheduler = SchedulerNames.LeastConnection,
                RealServers = [Server(1, 1, 8080)],
            },
        ],
    };

    private static RealServerConfig Server(int server, int weight, ushort port = 80)
        => new() { Address = NetworkAddress.Parse($"10.77.0.2{server}"), Port = port, Weight = weight };

    private void Apply(LoadBalancerConfig config) => Services.Apply(config);
}
