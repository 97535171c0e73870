using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The kernel half of the forwarder for established IPv4 flows: an LRU hash map of flows, the
/// <see cref="XdpProgram"/> that forwards the frames of the flows in it with <c>XDP_TX</c>, and the BPF link that
/// attaches it to the interface (closed on <see cref="Dispose"/> or when the process dies, so no program is left
/// behind). User space stays the slow path: it schedules every SYN and offers the flow here at once
/// (<see cref="OnForwarded"/>); the kernel then carries the handshake's ACK, the data and the FIN or RST.
/// <see cref="Synchronize"/> folds the kernel's per-flow counters into the connection table about once a second,
/// with the state transitions of the segments counted (so SYN_RECV → ESTABLISHED → FIN_WAIT is applied up to a
/// second late), and withdraws flows that closed or whose entry ended.
/// <para>
/// With kernel scheduling (<see cref="XdpScheduleRing"/>) the program also takes the SYNs of <c>rr</c>/<c>wrr</c>
/// services from published scheduler picks and makes their flows itself; <see cref="Synchronize"/> adopts those
/// into the connection table (<see cref="ConnectionTable.AddScheduled"/>) the next time it reads the map, and a SYN
/// of such a flow that reaches user space first (a retransmission) adopts it at once.
/// </para>
/// </summary>
internal sealed unsafe class XdpFastPath : IDisposable
{
    private readonly SafeFileDescriptor _map;
    private readonly SafeFileDescriptor _program;
    private readonly ConnectionTable _connections;
    private readonly INeighbourTable _neighbours;
    private readonly DirectRoutingStatistics _statistics;
    private readonly MacAddress _directorMac;
    private readonly bool _drainRemoved;
    private readonly XdpMode _mode;
    private readonly ConcurrentDictionary<XdpFlowKey, OffloadedFlow> _flows = new();
    private readonly Lock _synchronizeLock = new();
    private readonly Lock _adoptLock = new();
    private readonly XdpScheduleRing? _schedule;
    private readonly List<KeyValuePair<XdpFlowKey, OffloadedFlow>> _stale = []; // found by the batch pass (Synchronize's)

    // Synchronization's state (under _synchronizeLock): the sweep number, and the batch buffers.
    private const int BatchSize = 1024;

    /// <summary>
    /// How many synchronizations a closed flow stays in the kernel (a few seconds): the client's last segments, and
    /// a SYN that reuses the tuple (which the kernel renews on the same server, see <see cref="XdpProgram"/>), take
    /// no trip through user space.
    /// </summary>
    private const int ClosedFlowRounds = 4;
    /// <summary>
    /// The slices of 100 ms a sweep over the kernel's map takes (<see cref="SynchronizeSlice()"/>): one a second, so a
    /// flow is read about once a second wherever it sits in the map. Each slice reads a ninth of the flows, so the
    /// sweep ends by its tenth slice, when the forwarder starts the next one.
    /// </summary>
    public const int SlicesPerSweep = 10;

    // The fewest entries a batch asks for (a slice's last batch asks for what the slice still has to read).
    private const int MinBatchEntries = 64;
    private long _generation;
    private bool _batchLookup = true;

    // The sweep in progress: where its next batch starts, its slices and entries read so far (and the last sweep's entries).
    private bool _sweeping;
    private bool _sweepFirst;
    private ulong _sweepPosition;
    private int _sweepRead;
    private int _sweepSlices;
    private int _lastSweepRead;
    private XdpFlowKey[]? _batchKeys;
    private XdpFlowValue[]? _batchValues;
    private SafeFileDescriptor? _link;

    // User-made flows the last pass and this one found in the map but not in the list (see Unlisted).
    private HashSet<XdpFlowKey> _unlisted = [];
    private HashSet<XdpFlowKey> _unlistedBefore = [];

    private XdpFastPath(XdpMode mode, SafeFileDescriptor map, SafeFileDescriptor program, XdpScheduleRing? schedule, ConnectionTable connections, INeighbourTable neighbours, DirectRoutingStatistics statistics, MacAddress directorMac, bool drainRemoved)
    {
        _mode = mode;
        _schedule = schedule;
        _map = map;
        _program = program;
        _connections = connections;
        _neighbours = neighbours;
        _statistics = statistics;
        _directorMac = directorMac;
        _drainRemoved = drainRemoved;
    }

    /// <summary>Counts the entries in the kernel's flow map by walking its keys (diagnostics and tests; not atomic).</summary>
    public int CountKernelFlows() => CountKeys(_map);

    private static int CountKeys(SafeFileDescriptor map)
    {
        XdpFlowKey key, next;
        var count = 0;
        var found = BpfSystemCall.GetNextKey(map, null, &next);
        while (found && count < int.MaxValue)
        {
            count++;
            key = next;
            found = BpfSystemCall.GetNextKey(map, &key, &next);
        }

        return count;
    }

    /// <summary>
    /// Creates the maps and loads the program for <paramref name="mode"/> (not attached yet), with the kernel's own
    /// scheduling of new connections when <paramref name="kernelScheduling"/>. Needs CAP_BPF (or root).
    /// </summary>
    public static XdpFastPath Create(XdpMode mode, int maxFlows, ConnectionTable connections, INeighbourTable neighbours, DirectRoutingStatistics statistics, MacAddress directorMac, bool drainRemoved, bool kernelScheduling = false)
    {
        var map = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeLruHash, XdpFlowKey.Length, XdpFlowValue.Length, maxFlows, "lb_dr_flows");
        XdpScheduleRing? schedule = null;
        TcVirtualAddressMaps? virtualAddresses = null;
        try
        {
            schedule = kernelScheduling ? XdpScheduleRing.Create(neighbours, directorMac) : null;
            virtualAddresses = mode == XdpMode.Tc ? TcVirtualAddressMaps.Create() : null;
            var code = XdpProgram.Build(map.Descriptor, mode, schedule?.Maps, virtualAddresses);
            var program = mode == XdpMode.Tc
                ? BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeSchedClassifier, code, 0, "lb_dr_tc")
                : BpfSystemCall.LoadProgram(BpfSystemCall.ProgramTypeXdp, code, BpfSystemCall.AttachTypeXdp, "lb_dr_xdp");
            return new XdpFastPath(mode, map, program, schedule, connections, neighbours, statistics, directorMac, drainRemoved) { VirtualAddresses = virtualAddresses };
        }
        catch
        {
            schedule?.Dispose();
            virtualAddresses?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Gets the kernel scheduling rings, or null when the kernel schedules nothing.</summary>
    internal XdpScheduleRing? Schedule => _schedule;

    /// <summary>Gets a value indicating whether the kernel schedules the SYNs of <paramref name="service"/>.</summary>
    public bool SchedulesInKernel(VirtualServiceState service) => _schedule is not null && _schedule.IsScheduled(service);

    /// <summary>Takes the service table as it is now into the kernel's scheduling (no-op without it).</summary>
    public void RefreshSchedule(IEnumerable<VirtualServiceState> services) => _schedule?.Refresh(services);

    /// <summary>Tops up the kernel's published picks (every 100 ms; no-op without kernel scheduling).</summary>
    public void RefillSchedule() => _schedule?.Refill();

    /// <summary>Takes the kernel's next published pick for a SYN of <paramref name="service"/> that reached user space.</summary>
    public bool TryTakePick(VirtualServiceState service, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RealServerState? destination)
    {
        destination = null;
        return _schedule is not null && _schedule.TryTakePick(service, out destination);
    }

    /// <summary>
    /// Called by the engine before it handles a bare TCP SYN, so that the table decides
    /// on the tuple's state as of now: a flow the kernel made (the SYN is a retransmission of one it forwarded) is
    /// adopted, and the counts of a flow in the map are folded, with the renewals the kernel made for reused tuples (a
    /// FIN the kernel forwarded makes the entry FIN_WAIT, where IPVS keeps a reused tuple on its server).
    /// </summary>
    /// <param name="packet">The SYN.</param>
    /// <param name="scheduledInKernel">Whether its service is scheduled in the kernel (only those get kernel-made flows).</param>
    public void ReconcileSyn(in PacketInfo packet, bool scheduledInKernel)
    {
        if (packet.SourceAddress.IsIPv6 || packet.Protocol != ServiceProtocol.Tcp)
        {
            return;
        }

        var key = XdpFlowKey.Create(packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        var listed = _flows.TryGetValue(key, out var flow);
        if (!listed && (_schedule is null || !scheduledInKernel))
        {
            return; // the kernel makes flows only for services it schedules
        }

        XdpFlowValue value;
        var present = BpfSystemCall.Lookup(_map, &key, &value);
        if (!listed || flow is null)
        {
            if (present && value.Incarnation != 0)
            {
                Adopt(key, in value, generation: 0);
            }

            return;
        }

        if (present && value.Incarnation != flow.Incarnation)
        {
            Replaced(key, flow, generation: 0);
            return;
        }

        if (!present)
        {
            return;
        }

        lock (flow)
        {
            if (!flow.Withdrawn)
            {
                Fold(flow, in value); // with the kernel's renewals: the SYN is then the renewed connection's, retransmitted
            }
        }
    }

    /// <summary>Gets the program's descriptor (for <c>BPF_PROG_TEST_RUN</c> in tests).</summary>
    internal SafeFileDescriptor Program => _program;

    /// <summary>Gets the flow map's descriptor (tests).</summary>
    internal SafeFileDescriptor FlowMap => _map;

    /// <summary>
    /// Takes the virtual addresses the classifier marks <c>PACKET_OTHERHOST</c> when it passes a frame to one (tc
    /// only; no-op otherwise): called before <see cref="Attach"/> and on every service table change.
    /// </summary>
    public void SetVirtualAddresses(IEnumerable<NetworkAddress> addresses) => VirtualAddresses?.Set(addresses);

    /// <summary>Gets the classifier's virtual address maps (owned; tests read them), or null outside <see cref="XdpMode.Tc"/>.</summary>
    internal TcVirtualAddressMaps? VirtualAddresses { get; private init; }

    /// <summary>Attaches the program to <paramref name="interfaceIndex"/> of the calling thread's network namespace.</summary>
    public void Attach(int interfaceIndex, string interfaceName)
    {
        var mode = _mode;
        var flags = mode == XdpMode.Native ? BpfSystemCall.XdpFlagsDriverMode : BpfSystemCall.XdpFlagsSkbMode;
        try
        {
            _link = mode == XdpMode.Tc
                ? BpfSystemCall.CreateTcxIngressLink(_program, interfaceIndex)
                : BpfSystemCall.CreateXdpLink(_program, interfaceIndex, flags);
        }
        catch (BpfException ex)
        {
            var hint = ex.Errno switch
            {
                95 => mode == XdpMode.Native ? " (the driver has no native XDP; use XdpMode.Generic)" : "",
                16 => " (another XDP program is attached to the interface)",
                22 when mode == XdpMode.Tc => " (tcx links need Linux 6.6 or later; use XdpMode.Generic)",
                _ => "",
            };
            throw new BpfException(ex.Errno, $"Attaching the {(mode == XdpMode.Tc ? "tcx" : "XDP")} fast path to {interfaceName} in {mode.ToString().ToLowerInvariant()} mode failed: {ex.Message}{hint}");
        }
    }

    /// <summary>
    /// Called by the engine for every frame it forwarded: offers a TCP flow to the kernel from its SYN on (the entry
    /// is then new, in SYN_RECV, or reused), or once established, and any UDP flow with an entry; withdraws a flow on
    /// a FIN or RST that reached user space, or when its entry or server changed.
    /// </summary>
    public void OnForwarded(in PacketInfo packet, Connection? connection, MacAddress server)
    {
        if (connection is null || packet.SourceAddress.IsIPv6 || packet.Protocol is not (ServiceProtocol.Tcp or ServiceProtocol.Udp))
        {
            return;
        }

        var tcp = packet.Protocol == ServiceProtocol.Tcp;
        var closing = tcp && (packet.TcpFlags & (TcpFlags.Fin | TcpFlags.Rst)) != 0;
        var key = XdpFlowKey.Create(packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        if (_flows.TryGetValue(key, out var flow))
        {
            // A SYN on a closed flow reuses the tuple (and the entry): the new connection gets a flow of its own.
            var reused = tcp && (packet.TcpFlags & TcpFlags.Syn) != 0 && flow.Closed;
            if (!closing && !reused && flow.Connection == connection && flow.Server == server)
            {
                return; // a packet already in flight, a retransmitted SYN, or one the program passes (IP options)
            }

            Withdraw(key, flow);
        }

        if (closing || (tcp && (packet.TcpFlags & TcpFlags.Syn) == 0 && !connection.IsEstablished))
        {
            return; // a closing connection's last segments stay in user space
        }

        Offload(key, new OffloadedFlow(connection, packet.Protocol, server));
    }

    /// <summary>
    /// Folds each flow's new packets and bytes into the connection table (restarting the entry's timer), and
    /// withdraws flows whose entry expired or was replaced, whose server was removed (unless removed servers are
    /// drained), or whose server's MAC changed: a whole sweep over the kernel's map at once (a sweep in progress
    /// starts over). The forwarder runs its sweeps in slices instead (<see cref="SynchronizeSlice()"/>).
    /// </summary>
    public void Synchronize()
    {
        lock (_synchronizeLock)
        {
            _sweeping = false;
            while (!SynchronizeSliceCore(int.MaxValue))
            {
            }
        }
    }

    /// <summary>
    /// Goes on with the sweep in progress, or starts one, for a ninth of the flows (of the last sweep's, or of the
    /// flows listed now if more; at least a batch), and the sweep's tenth slice for the rest; the last slice ends the
    /// sweep with the flows it did not read, and returns true.
    /// Called every 100 ms, it spreads the once-a-second work over the second instead of taking the periodic thread
    /// for the whole sweep at once (1.6–1.9 s with a million flows on the lab, docs/benchmarks.md).
    /// </summary>
    /// <returns>Whether this slice ended a sweep (the table's expiry round may run).</returns>
    public bool SynchronizeSlice()
    {
        lock (_synchronizeLock)
        {
            // The map may have grown faster than the estimate (flows the kernel made are listed only once read): the
            // sweep's last slice reads to the end.
            var expected = Math.Max(_lastSweepRead, _flows.Count);
            var entries = _sweeping && _sweepSlices >= SlicesPerSweep - 1
                ? int.MaxValue
                : Math.Max(BatchSize, (expected + SlicesPerSweep - 2) / (SlicesPerSweep - 1));
            return SynchronizeSliceCore(entries);
        }
    }

    /// <summary>A slice that reads at least <paramref name="entries"/> of the map's entries (or to its end); see <see cref="SynchronizeSlice()"/>.</summary>
    internal bool SynchronizeSlice(int entries)
    {
        lock (_synchronizeLock)
        {
            return SynchronizeSliceCore(entries);
        }
    }

    // Every 100 ms, over a slice of the flows: optimized at once (tiering would run it unoptimized for its first 30 calls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool SynchronizeSliceCore(int entries)
    {
        if (!_sweeping)
        {
            // A sweep: one pass over the kernel's map in batches of entries (a few system calls for all flows); at its
            // end, a flow the pass did not see (offloaded meanwhile, or evicted) is looked up on its own.
            _sweeping = true;
            _sweepPosition = 0;
            _sweepFirst = true;
            _sweepRead = 0;
            _sweepSlices = 0;
            ++_generation;
            (_unlistedBefore, _unlisted) = (_unlisted, _unlistedBefore);
            _unlisted.Clear();
        }

        var generation = _generation;
        _sweepSlices++;
        if (_batchLookup && !ReadBatched(generation, entries))
        {
            return false;
        }

        _sweeping = false;
        _lastSweepRead = _sweepRead;
        var value = default(XdpFlowValue);
        foreach (var (key, flow) in _flows)
        {
            if (flow.CheckedGeneration == generation)
            {
                continue; // folded and checked by the batch pass
            }

            var k = key;
            bool present, replaced = false;
            lock (flow)
            {
                if (flow.Withdrawn)
                {
                    continue;
                }

                present = flow.SeenGeneration == generation;
                if (!present && BpfSystemCall.Lookup(_map, &k, &value))
                {
                    present = true;
                    replaced = value.Incarnation != flow.Incarnation;
                    if (!replaced)
                    {
                        Fold(flow, in value);
                    }
                }
            }

            if (replaced)
            {
                Replaced(key, flow, generation);
                continue;
            }

            if (!present || IsStale(flow))
            {
                // A flow evicted by the LRU is simply gone: its packets reach user space, which offers it again.
                Withdraw(key, flow);
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a flow the kernel holds must leave it: closed for <see cref="ClosedFlowRounds"/> passes (this call
    /// counts one), its entry removed from the table (expired or replaced), its server removed (unless removed
    /// servers are drained), its server's MAC changed, or a renewal the table did not take. Once per pass and flow,
    /// on the synchronizing thread.
    /// </summary>
    private bool IsStale(OffloadedFlow flow)
    {
        var connection = flow.Connection;
        return flow.Failed
            || (flow.Closed && ++flow.ClosedRounds > ClosedFlowRounds)
            || connection.IsRemoved
            || (!_drainRemoved && !connection.Destination.IsAvailable)
            || (_neighbours.TryGetMac(connection.DestinationAddress, out var mac) && mac != flow.Server);
    }

    /// <summary>
    /// A flow user space made that it no longer lists (its offload raced with its withdrawal): once two passes
    /// in a row found it so (user space lists a flow before it puts it into the map, so an offload in progress is
    /// listed by the second), it is removed and its counts go to the tuple's entry, whose flow it was.
    /// </summary>
    private void Unlisted(XdpFlowKey key)
    {
        _unlisted.Add(key);
        if (!_unlistedBefore.Contains(key))
        {
            return;
        }

        lock (_adoptLock)
        {
            var k = key;
            XdpFlowValue value;
            if (_flows.ContainsKey(key) || !BpfSystemCall.Lookup(_map, &k, &value) || value.Incarnation != 0)
            {
                return;
            }

            BpfSystemCall.Delete(_map, &k);
            var protocol = (ServiceProtocol)(key.Protocol & 0xFF);
            if (_connections.Find(protocol, ClientAddress(key), BinaryPrimitives.ReverseEndianness(key.SourcePort), VirtualAddress(key), BinaryPrimitives.ReverseEndianness(key.DestinationPort)) is { } connection)
            {
                var flow = new OffloadedFlow(connection, protocol, default);
                Fold(flow, in value);
            }
        }
    }

    /// <summary>
    /// Folds the next of the flows the kernel's map holds (<c>BPF_MAP_LOOKUP_BATCH</c>, from where the sweep's last
    /// slice stopped), at least <paramref name="entries"/> of them or to the map's end, marking each with
    /// <paramref name="generation"/>; withdraws those found stale.
    /// </summary>
    /// <returns>Whether the sweep read the map to its end (or the batch read failed: the sweep's end looks the rest up).</returns>
    // Every 100 ms, over a slice of the flows: optimized at once (tiering would run it unoptimized for its first 30 calls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ReadBatched(long generation, int entries)
    {
        _batchKeys ??= new XdpFlowKey[BatchSize];
        _batchValues ??= new XdpFlowValue[BatchSize];
        var read = 0;
        var done = false;
        try
        {
            while (!done && read < entries)
            {
                // A bucket never spans two batches: a batch asks for at least MinBatchEntries (a bucket fuller than
                // that is read again with the whole buffer).
                var size = Math.Clamp(entries - read, MinBatchEntries, BatchSize);
                int count;
                try
                {
                    count = BpfSystemCall.LookupBatch<XdpFlowKey, XdpFlowValue>(_map, _sweepFirst, ref _sweepPosition, _batchKeys.AsSpan(0, size), _batchValues.AsSpan(0, size), out done);
                }
                catch (BpfException ex) when (ex.Errno == 28 && size < BatchSize)
                {
                    count = BpfSystemCall.LookupBatch<XdpFlowKey, XdpFlowValue>(_map, _sweepFirst, ref _sweepPosition, _batchKeys, _batchValues, out done);
                }

                _sweepFirst = false;
                read += count;
                for (var i = 0; i < count; i++)
                {
                    if (!_flows.TryGetValue(_batchKeys[i], out var flow))
                    {
                        if (_batchValues[i].Incarnation != 0)
                        {
                            Adopt(_batchKeys[i], in _batchValues[i], generation);
                        }
                        else
                        {
                            Unlisted(_batchKeys[i]);
                        }
                    }
                    else if (_batchValues[i].Incarnation != flow.Incarnation)
                    {
                        Replaced(_batchKeys[i], flow, generation);
                    }
                    else
                    {
                        var stale = false;
                        lock (flow)
                        {
                            if (!flow.Withdrawn)
                            {
                                Fold(flow, in _batchValues[i]);
                                flow.SeenGeneration = generation;
                                flow.CheckedGeneration = generation;
                                stale = IsStale(flow);
                            }
                        }

                        if (stale)
                        {
                            _stale.Add(KeyValuePair.Create(_batchKeys[i], flow));
                        }
                    }
                }
            }
        }
        catch (BpfException ex)
        {
            // Kernels before 5.6 have no batch lookup (EINVAL): every sweep looks flows up one by one. Anything
            // else (a bucket fuller than a batch: ENOSPC) leaves this sweep's unseen flows to that path too.
            _batchLookup = ex.Errno != 22;
            done = true;
        }

        _sweepRead += read;

        // Withdrawn after the batch, whose values were read before.
        foreach (var (key, flow) in _stale)
        {
            Withdraw(key, flow);
        }

        _stale.Clear();
        return done;
    }

    public void Dispose()
    {
        // Closing the link detaches the program at once; the map and program go with their last reference.
        _link?.Dispose();
        _program.Dispose();
        _schedule?.Dispose();
        VirtualAddresses?.Dispose();
        _map.Dispose();
    }

    /// <summary>
    /// The map holds another flow of <paramref name="old"/>'s tuple (another incarnation: the kernel made a new one
    /// for a SYN after the old one left the map, evicted): the old one leaves the list, and the new one is adopted.
    /// What the map holds is looked up again first: a batch's value can be older than the list (a worker may have
    /// offloaded a flow since).
    /// </summary>
    private void Replaced(XdpFlowKey key, OffloadedFlow old, long generation)
    {
        lock (_adoptLock)
        {
            var k = key;
            XdpFlowValue current;
            if (!BpfSystemCall.Lookup(_map, &k, &current) || current.Incarnation == old.Incarnation)
            {
                return; // gone, or the list's flow after all: the sweep's end looks it up
            }

            lock (old)
            {
                if (old.Withdrawn)
                {
                    return;
                }

                old.Withdrawn = true;
                _statistics.CountFastPathWithdrawn();
            }

            _flows.TryRemove(KeyValuePair.Create(key, old));
            if (current.Incarnation != 0)
            {
                Adopt(key, in current, generation);
            }
        }
    }

    /// <summary>
    /// Takes a flow the kernel made for a SYN it scheduled into the connection table, as if user space had forwarded
    /// that SYN to the pick's server, and folds the packets after it, with the renewals the kernel made since (a
    /// flow made and renewed between two passes: the first SYN's length is then taken for the last one's). A flow
    /// whose id or entry cannot be taken is removed from the kernel (its next packets reach user space, which finds
    /// no entry for them).
    /// </summary>
    private void Adopt(XdpFlowKey key, in XdpFlowValue value, long generation)
    {
        lock (_adoptLock)
        {
            if (_flows.ContainsKey(key))
            {
                return;
            }

            var id = (ushort)(value.Scheduled & 0xFFFF);
            var synLength = (int)(value.Scheduled >> XdpProgram.SynLengthShift);
            Connection? connection = null;
            if (_schedule is not null && _schedule.TryGetDestination(id, out var destination))
            {
                // AddScheduled keeps a FIN_WAIT entry to that server (the SYN moves it to SYN_RECV, as IPVS's
                // conn_reuse_mode does) and makes a new one where IPVS would have ended the old.
                var syn = Syn(key, synLength);
                connection = _connections.AddScheduled(in syn, destination.Service, destination);
            }

            if (connection is null)
            {
                var k = key;
                BpfSystemCall.Delete(_map, &k);
                _statistics.CountFastPathError();
                return;
            }

            fixed (byte* macs = value.Macs)
            {
                var flow = new OffloadedFlow(connection, ServiceProtocol.Tcp, MacAddress.Read(new ReadOnlySpan<byte>(macs, MacAddress.Length)))
                {
                    Incarnation = value.Incarnation,
                    Packets = 1,
                    Bytes = (ulong)synLength,
                    SeenGeneration = generation,
                };
                _flows[key] = flow;
                _statistics.CountFastPath(1, synLength); // the SYN, which the kernel forwarded too
                _statistics.CountFastPathFlow();
                _statistics.CountKernelScheduled();
                lock (flow)
                {
                    Fold(flow, in value);
                }
            }
        }
    }

    /// <summary>The SYN of <paramref name="key"/>'s tuple, as the kernel forwarded it (scheduled or renewed there).</summary>
    private static PacketInfo Syn(XdpFlowKey key, int length)
        => Syn(ClientAddress(key), BinaryPrimitives.ReverseEndianness(key.SourcePort), VirtualAddress(key), BinaryPrimitives.ReverseEndianness(key.DestinationPort), length);

    /// <summary>A TCP SYN of <paramref name="length"/> IP bytes from the client to the virtual address.</summary>
    private static PacketInfo Syn(NetworkAddress client, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort, int length) => new()
    {
        Protocol = ServiceProtocol.Tcp,
        SourceAddress = client,
        SourcePort = clientPort,
        DestinationAddress = virtualAddress,
        DestinationPort = virtualPort,
        TcpFlags = TcpFlags.Syn,
        Length = length,
    };

    private static NetworkAddress ClientAddress(XdpFlowKey key) => NetworkAddress.FromIPv4(BinaryPrimitives.ReverseEndianness(key.SourceAddress));

    private static NetworkAddress VirtualAddress(XdpFlowKey key) => NetworkAddress.FromIPv4(BinaryPrimitives.ReverseEndianness(key.DestinationAddress));

    private void Offload(XdpFlowKey key, OffloadedFlow flow)
    {
        if (!_flows.TryAdd(key, flow))
        {
            return;
        }

        var value = XdpFlowValue.Create(flow.Server, _directorMac);
        try
        {
            BpfSystemCall.Update(_map, &key, &value);
            _statistics.CountFastPathFlow();
        }
        catch (BpfException)
        {
            _flows.TryRemove(KeyValuePair.Create(key, flow));
            _statistics.CountFastPathError();
        }
    }

    /// <summary>Removes the flow from the kernel (taking its last counts with it) and then from the flow list.</summary>
    private void Withdraw(XdpFlowKey key, OffloadedFlow flow)
    {
        XdpFlowValue value;
        lock (flow)
        {
            if (flow.Withdrawn)
            {
                return;
            }

            flow.Withdrawn = true;

            // Another flow of the tuple, which the kernel made after this one left the map (evicted), stays for the
            // next pass to adopt. Deleting it and putting it back would pass its packets to user space in between,
            // where this flow's entry would send them to its own server.
            var another = BpfSystemCall.Lookup(_map, &key, &value) && value.Incarnation != flow.Incarnation;
            if (!another && TakeFromMap(&key, &value))
            {
                if (value.Incarnation != flow.Incarnation)
                {
                    // Made by the kernel between the two lookups: it goes back (the next pass adopts it).
                    BpfSystemCall.Update(_map, &key, &value);
                }
                else
                {
                    // With a renewal the kernel made meanwhile: its connection then goes on in user space.
                    Fold(flow, in value);
                }
            }

            _statistics.CountFastPathWithdrawn();
        }

        _flows.TryRemove(KeyValuePair.Create(key, flow));
    }

    /// <summary>Removes the tuple's value from the map, returning it.</summary>
    private bool TakeFromMap(XdpFlowKey* key, XdpFlowValue* value)
    {
        try
        {
            return BpfSystemCall.LookupAndDelete(_map, key, value);
        }
        catch (BpfException)
        {
            // Kernels before 5.14 have no lookup-and-delete for hash maps: read, then delete.
            var found = BpfSystemCall.Lookup(_map, key, value);
            BpfSystemCall.Delete(_map, key);
            return found;
        }
    }

    /// <summary>
    /// Folds the kernel's new counts into the table: packets and bytes, and the state transitions of the kinds of
    /// TCP segments among them (a FIN or RST marks the flow <see cref="OffloadedFlow.Closed"/>: it is withdrawn
    /// after <see cref="ClosedFlowRounds"/> passes, unless the kernel renews it for a reused tuple first). Call under
    /// the flow's lock.
    /// </summary>
    private void Fold(OffloadedFlow flow, in XdpFlowValue value)
    {
        if (value.Renewals != flow.Renewals)
        {
            FoldRenewals(flow, in value);
            return;
        }

        var packets = (long)(value.Packets - flow.Packets);
        var bytes = (long)(value.Bytes - flow.Bytes);
        if (packets <= 0)
        {
            return;
        }

        var fins = (long)(value.Fins - flow.Fins);
        var resets = (long)(value.Resets - flow.Resets);
        flow.Take(in value);
        _connections.AddOffloadedTraffic(flow.Connection, packets, Math.Max(0, bytes), Segments(flow, packets, fins, resets));
        _statistics.CountFastPath(packets, bytes);
    }

    /// <summary>
    /// Folds a value the kernel renewed since the last fold (<see cref="XdpFlowValue"/>): the closing connection's
    /// last segments (an ACK and a FIN: the kernel renews only after a FIN that followed another segment, and no
    /// RST), then the renewing SYN through <see cref="ConnectionTable.AddScheduled"/> to the same server (FIN_WAIT +
    /// SYN → SYN_RECV on the same entry, no new connection counted, as IPVS's <c>conn_reuse_mode</c>; a new entry
    /// where IPVS would have ended the old, which the flow then follows), then the new connection's segments. A
    /// tuple renewed more than once between two folds counts its middle connections' packets in the first one's last
    /// segments, and their SYNs are not replayed (the entry ends in SYN_RECV all the same). Only the split of the
    /// bytes between the two connections is not known: both go to the same server, the closing one takes them.
    /// </summary>
    private void FoldRenewals(OffloadedFlow flow, in XdpFlowValue value)
    {
        var current = value.CurrentPackets;
        if (current > int.MaxValue)
        {
            return; // a renewal the kernel is still writing (its word claimed, its SYN not counted yet): the next pass reads it
        }

        // The closing connection's packets not folded yet: those before the SYN. None if a fold already took more than
        // that (a value older than what was folded: never written by the kernel, which renews in place, but a fold
        // must not stop on it).
        var throughSyn = value.Packets - current;
        var closing = throughSyn > flow.Packets ? (long)(throughSyn - 1 - flow.Packets) : 0;
        var synLength = (long)(value.Scheduled >> XdpProgram.SynLengthShift);
        var rest = value.Bytes > flow.Bytes ? Math.Max(0, (long)(value.Bytes - flow.Bytes) - synLength) : 0;
        var packets = closing + 1 + current;
        var bytes = synLength + rest;
        var old = flow.Connection;
        if (closing > 0)
        {
            _connections.AddOffloadedTraffic(old, closing, rest, TcpFlags.Ack | TcpFlags.Fin);
            rest = 0;
        }

        var syn = Syn(old.ClientAddress, old.ClientPort, old.VirtualAddress, old.VirtualPort, (int)synLength);
        var connection = _connections.AddScheduled(in syn, old.Destination.Service, old.Destination);
        var renewals = (ushort)(value.Renewals - flow.Renewals);
        flow.Take(in value);
        flow.Closed = false;
        flow.ClosedRounds = 0;
        if (connection is null)
        {
            flow.Failed = true; // withdrawn by the next pass: its packets go to user space
            _statistics.CountFastPathError();
        }
        else
        {
            flow.Connection = connection;
            if (current > 0)
            {
                var segments = Segments(flow, current, value.CurrentFins, (long)value.Resets);
                _connections.AddOffloadedTraffic(connection, current, rest, segments);
            }
        }

        _statistics.CountFastPath(packets, bytes);
        _statistics.CountKernelReused(renewals);
    }

    /// <summary>
    /// The kinds of TCP segments among <paramref name="packets"/> with <paramref name="fins"/> FINs and
    /// <paramref name="resets"/> RSTs; a FIN or RST marks the flow closed.
    /// </summary>
    private static TcpFlags Segments(OffloadedFlow flow, long packets, long fins, long resets)
    {
        if (flow.Protocol != ServiceProtocol.Tcp)
        {
            return TcpFlags.None;
        }

        flow.Closed |= fins + resets > 0;
        return (packets - fins - resets > 0 ? TcpFlags.Ack : TcpFlags.None)
            | (fins > 0 ? TcpFlags.Fin : TcpFlags.None)
            | (resets > 0 ? TcpFlags.Rst : TcpFlags.None);
    }

    /// <summary>A flow user space put into the kernel's map: its connection entry (whose key is the flow's) and the MAC it goes to.</summary>
    private sealed class OffloadedFlow(Connection connection, ServiceProtocol protocol, MacAddress server)
    {
        /// <summary>Gets or sets the flow's entry (another one after a renewal for which the table made a new entry; under the flow's lock).</summary>
        public Connection Connection { get; set; } = connection;

        public ServiceProtocol Protocol { get; } = protocol;

        public MacAddress Server { get; } = server;

        /// <summary>Gets the kernel-made flow's incarnation (0 for a flow user space put in the map).</summary>
        public ulong Incarnation { get; init; }

        /// <summary>Gets or sets the kernel's packet count already folded into the table (under the flow's lock).</summary>
        public ulong Packets { get; set; }

        public ulong Bytes { get; set; }

        public ulong Fins { get; set; }

        public ulong Resets { get; set; }

        /// <summary>Gets or sets the kernel's renewals of the flow already folded (mod 2^16, as the kernel counts them).</summary>
        public ushort Renewals { get; set; }

        /// <summary>Gets or sets a value indicating whether the table did not take a renewal's SYN (the flow must leave the kernel).</summary>
        public bool Failed { get; set; }

        /// <summary>Records <paramref name="value"/>'s counters as folded (under the flow's lock).</summary>
        public void Take(in XdpFlowValue value)
        {
            Packets = value.Packets;
            Bytes = value.Bytes;
            Fins = value.Fins;
            Resets = value.Resets;
            Renewals = value.Renewals;
        }

        /// <summary>Gets or sets the synchronization round whose batch pass last saw the flow in the kernel's map.</summary>
        public long SeenGeneration { get; set; }

        /// <summary>Gets or sets the synchronization round whose batch pass last folded and checked the flow.</summary>
        public long CheckedGeneration { get; set; }

        /// <summary>Gets or sets a value indicating whether the kernel forwarded a FIN or RST of the flow (folded).</summary>
        public bool Closed { get; set; }

        /// <summary>Gets or sets the synchronizations that found the flow closed.</summary>
        public int ClosedRounds { get; set; }

        public bool Withdrawn { get; set; }
    }
}
