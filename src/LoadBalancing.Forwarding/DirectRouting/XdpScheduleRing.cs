using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Forwarding.Linux.Bpf;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>The descriptors of the three maps <see cref="XdpProgram"/> schedules new connections from.</summary>
/// <param name="Services">The services map (<c>lb_dr_svcs</c>).</param>
/// <param name="Heads">The heads array (<c>lb_dr_heads</c>).</param>
/// <param name="Ring">The picks array (<c>lb_dr_ring</c>).</param>
internal readonly record struct XdpScheduleMaps(int Services, int Heads, int Ring);

/// <summary>
/// New TCP connections scheduled in the kernel: for each eligible virtual service (IPv4 TCP, <c>rr</c> or
/// <c>wrr</c>, not persistent, no connection thresholds, every server Direct-Routing) a ring of the service
/// scheduler's next picks, which <see cref="XdpProgram"/> takes in order, one per SYN, with an atomic counter.
/// The picks come from the service's own <see cref="IScheduler"/>, taken ahead of time, so the kernel hands out
/// exactly the sequence IPVS's scheduler would; user space learns each connection when it folds the kernel's flow
/// map (<see cref="XdpFastPath.Synchronize"/>).
/// </summary>
/// <remarks>
/// <para>
/// Maps: <c>lb_dr_svcs</c> (hash, virtual address and port → slot and the director's MAC), <c>lb_dr_heads</c>
/// (array, one 64-byte line per slot: <c>head</c>, the picks taken by the kernel, and <c>produced</c>, the picks
/// published by user space) and <c>lb_dr_ring</c> (array, <see cref="RingSize"/> entries per slot: the pick's
/// position, low 32 bits, the destination's id and its MAC). Both arrays are <c>BPF_F_MMAPABLE</c> and written
/// through their mapping: publishing a pick costs no system call.
/// </para>
/// <para>
/// The look-ahead adapts to the rate (four refill periods' worth, between <see cref="MinimumLookahead"/> and
/// <see cref="RingSize"/>). When a service's servers, weights, health or MACs change, its published picks are
/// withdrawn at once (<c>produced</c> := <c>head</c>) and taken afresh from the scheduler, which has already
/// applied the change: the sequence continues from the scheduler's state after the withdrawn look-ahead, as if
/// those picks had gone to connections. A pick whose server's MAC is not known yet waits, and the ring stops
/// there until it is (the kernel then passes SYNs to user space, which schedules them as before).
/// </para>
/// </remarks>
internal sealed unsafe class XdpScheduleRing : IDisposable
{
    /// <summary>The number of services scheduled in the kernel at once; further eligible services stay in user space.</summary>
    public const int SlotCount = 16;

    public const int RingShift = 14;

    /// <summary>Entries per service ring.</summary>
    public const int RingSize = 1 << RingShift;

    public const int MinimumLookahead = 256;

    public const int ServiceKeyLength = 8;
    public const int ServiceValueLength = 16;
    public const int HeadLength = 64;
    public const int EntryLength = 16;

    private const int MaxDestinationId = ushort.MaxValue - 1;

    private readonly SafeFileDescriptor _services;
    private readonly SafeFileDescriptor _heads;
    private readonly SafeFileDescriptor _ring;
    private readonly byte* _headsBase;
    private readonly nuint _headsLength;
    private readonly byte* _ringBase;
    private readonly nuint _ringLength;
    private readonly INeighbourTable _neighbours;
    private readonly MacAddress _directorMac;
    private readonly Lock _lock = new();
    private readonly Slot?[] _slots = new Slot?[SlotCount];

    // Destination ids (1 .. 65 534) as carried in the ring and in kernel-made flows; an id is freed a while after
    // its server left every ring, so that flows made with it are adopted first.
    private readonly Dictionary<RealServerState, ushort> _ids = [];
    private readonly RealServerState?[] _byId = new RealServerState?[MaxDestinationId + 1];
    private readonly Dictionary<ushort, long> _unusedSince = [];
    private int _nextId = 1;
    // The slots' services as the workers read them: index = slot, null = free.
    private VirtualServiceState?[] _scheduled = new VirtualServiceState?[SlotCount];
    private bool _disposed;

    private XdpScheduleRing(SafeFileDescriptor services, SafeFileDescriptor heads, SafeFileDescriptor ring, byte* headsBase, nuint headsLength, byte* ringBase, nuint ringLength, INeighbourTable neighbours, MacAddress directorMac)
    {
        _services = services;
        _heads = heads;
        _ring = ring;
        _headsBase = headsBase;
        _headsLength = headsLength;
        _ringBase = ringBase;
        _ringLength = ringLength;
        _neighbours = neighbours;
        _directorMac = directorMac;
    }

    /// <summary>Gets the maps' descriptors, for building the programs.</summary>
    public XdpScheduleMaps Maps => new(_services.Descriptor, _heads.Descriptor, _ring.Descriptor);

    /// <summary>Creates the maps and maps the two arrays into memory. Needs CAP_BPF (or root) and Linux 5.12 (atomic fetch-add).</summary>
    public static XdpScheduleRing Create(INeighbourTable neighbours, MacAddress directorMac)
    {
        SafeFileDescriptor? services = null, heads = null, ring = null;
        byte* headsBase = null, ringBase = null;
        nuint headsLength = 0, ringLength = 0;
        try
        {
            services = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeHash, ServiceKeyLength, ServiceValueLength, SlotCount, "lb_dr_svcs");
            heads = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeArray, 4, HeadLength, SlotCount, BpfSystemCall.MapFlagMmapable, "lb_dr_heads");
            ring = BpfSystemCall.CreateMap(BpfSystemCall.MapTypeArray, 4, EntryLength, SlotCount * RingSize, BpfSystemCall.MapFlagMmapable, "lb_dr_ring");
            headsLength = PageAligned(HeadLength * SlotCount);
            headsBase = Map(heads, headsLength);
            ringLength = PageAligned(EntryLength * SlotCount * RingSize);
            ringBase = Map(ring, ringLength);
            return new XdpScheduleRing(services, heads, ring, headsBase, headsLength, ringBase, ringLength, neighbours, directorMac);
        }
        catch
        {
            if (headsBase is not null)
            {
                _ = LibC.Munmap(headsBase, headsLength);
            }

            services?.Dispose();
            heads?.Dispose();
            ring?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the kernel may schedule <paramref name="service"/>: IPv4 TCP on one port, <c>rr</c> or <c>wrr</c>
    /// (their picks do not depend on the connection or on the servers' load), not persistent, and every server
    /// Direct-Routing on the service's port, without connection thresholds (OVERLOAD depends on the load).
    /// </summary>
    public static bool IsEligible(VirtualServiceState service)
    {
        var key = service.Key;
        var config = service.Config;
        if (key.IsFirewallMark || key.Protocol != ServiceProtocol.Tcp || key.Address.IsIPv6 || key.Port == 0
            || config.PersistenceTimeout is not null
            || config.Scheduler is not (SchedulerNames.RoundRobin or SchedulerNames.WeightedRoundRobin))
        {
            return false;
        }

        var destinations = service.Destinations;
        if (destinations.Length > MaxDestinationId)
        {
            return false;
        }

        foreach (var destination in destinations)
        {
            var server = destination.Config;
            if (server.Method != ForwardingMethod.Route || server.UpperThreshold != 0 || server.LowerThreshold != 0
                || (server.Port != 0 && server.Port != key.Port))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gets a value indicating whether <paramref name="service"/> has a slot (its SYNs may be scheduled in the kernel).</summary>
    public bool IsScheduled(VirtualServiceState service) => Array.IndexOf(Volatile.Read(ref _scheduled), service) >= 0;

    /// <summary>
    /// Takes the next published pick of <paramref name="service"/> for a SYN that reached user space (one the
    /// kernel passed: IP options, or the filter's margin), so that kernel and user space hand out one sequence.
    /// </summary>
    /// <returns>Whether a pick was published (otherwise the caller asks the scheduler).</returns>
    public bool TryTakePick(VirtualServiceState service, [NotNullWhen(true)] out RealServerState? destination)
    {
        destination = null;
        var index = Array.IndexOf(Volatile.Read(ref _scheduled), service);
        if (index < 0)
        {
            return false;
        }

        lock (_lock)
        {
            // Under the lock: the slot's arrays stay mapped, and its service is the one asked for.
            if (_disposed || _slots[index] is not { } slot || slot.Service != service)
            {
                return false;
            }

            while (true)
            {
                var head = Volatile.Read(ref *Head(index));
                if (head >= Volatile.Read(ref *Produced(index)))
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref *Head(index), head + 1, head) != head)
                {
                    continue; // the kernel took one meanwhile
                }

                var entry = new ReadOnlySpan<byte>(Entry(index, (ulong)head), EntryLength);
                var id = (ushort)BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
                return BinaryPrimitives.ReadUInt32LittleEndian(entry) == (uint)head && TryGetDestination(id, out destination);
            }
        }
    }

    /// <summary>Gets the service scheduled in the kernel for <paramref name="virtualAddress"/>:<paramref name="virtualPort"/> (TCP).</summary>
    public bool TryGetService(NetworkAddress virtualAddress, ushort virtualPort, [NotNullWhen(true)] out VirtualServiceState? service)
    {
        foreach (var candidate in Volatile.Read(ref _scheduled))
        {
            if (candidate is not null && candidate.Key.Address == virtualAddress && candidate.Key.Port == virtualPort)
            {
                service = candidate;
                return true;
            }
        }

        service = null;
        return false;
    }

    /// <summary>Gets the server a kernel-made flow's destination id stands for.</summary>
    public bool TryGetDestination(ushort id, [NotNullWhen(true)] out RealServerState? destination)
    {
        destination = Volatile.Read(ref _byId[id]);
        return destination is not null;
    }

    /// <summary>
    /// Takes the service table as it is now: gives eligible services a slot (the first <see cref="SlotCount"/>),
    /// releases the slots of services that went or stopped being eligible, and rebuilds the ring of every service
    /// whose servers, weights or health changed. Called on every service-table change.
    /// </summary>
    public void Refresh(IEnumerable<VirtualServiceState> services)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var eligible = services.Where(IsEligible).Take(SlotCount).ToList();
            for (var i = 0; i < SlotCount; i++)
            {
                if (_slots[i] is { } slot && !eligible.Contains(slot.Service))
                {
                    Release(i);
                }
            }

            foreach (var service in eligible)
            {
                var index = Array.FindIndex(_slots, s => s?.Service == service);
                if (index < 0)
                {
                    index = Array.IndexOf(_slots, null);
                    _slots[index] = new Slot(service);
                    Rebuild(index);
                    Publish(index);
                }
                else if (!_slots[index]!.Signature.SequenceEqual(Signature(service)))
                {
                    Rebuild(index);
                }
            }

            Volatile.Write(ref _scheduled, [.. _slots.Select(s => s?.Service)]);
            FreeUnusedIds();
        }
    }

    /// <summary>
    /// Tops every ring up to its look-ahead (and rebuilds those whose servers changed without a table event, such
    /// as a MAC). Called every <c>100 ms</c>.
    /// </summary>
    // Ten times a second: optimized at once (tiering would run it unoptimized for its first 30 calls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Refill()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            for (var i = 0; i < SlotCount; i++)
            {
                if (_slots[i] is not { } slot)
                {
                    continue;
                }

                if (!slot.Signature.SequenceEqual(Signature(slot.Service)) || MacChanged(slot))
                {
                    Rebuild(i);
                    continue;
                }

                var head = (ulong)Volatile.Read(ref *Head(i));
                var consumed = head - slot.LastHead;
                slot.LastHead = head;
                slot.Lookahead = (int)Math.Clamp(consumed * 4, MinimumLookahead, RingSize);
                Fill(i);
            }

            FreeUnusedIds();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _ = LibC.Munmap(_headsBase, _headsLength);
            _ = LibC.Munmap(_ringBase, _ringLength);
            _services.Dispose();
            _heads.Dispose();
            _ring.Dispose();
        }
    }

    /// <summary>Reads slot <paramref name="slot"/>'s counters (tests and diagnostics).</summary>
    internal (long Head, long Produced) ReadCounters(int slot) => (Volatile.Read(ref *Head(slot)), Volatile.Read(ref *Produced(slot)));

    /// <summary>Gets the slot <paramref name="service"/> is scheduled in, or -1 (tests and diagnostics).</summary>
    internal int SlotOf(VirtualServiceState service)
    {
        lock (_lock)
        {
            return Array.FindIndex(_slots, s => s?.Service == service);
        }
    }

    private static nuint PageAligned(long length) => (nuint)((length + Environment.SystemPageSize - 1) / Environment.SystemPageSize * Environment.SystemPageSize);

    private static byte* Map(SafeFileDescriptor map, nuint length)
    {
        var address = LibC.Mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, map.Descriptor, 0);
        if (address == (void*)-1)
        {
            throw new BpfException(Marshal.GetLastPInvokeError(), "mmap of a BPF_F_MMAPABLE array failed");
        }

        return (byte*)address;
    }

    private long* Head(int slot) => (long*)(_headsBase + (slot * HeadLength));

    private long* Produced(int slot) => (long*)(_headsBase + (slot * HeadLength) + 8);

    /// <summary>The ring entry of pick <paramref name="position"/> in slot <paramref name="slot"/>.</summary>
    private byte* Entry(int slot, ulong position) => _ringBase + (((slot << RingShift) + (int)(position & (RingSize - 1))) * EntryLength);

    /// <summary>What the scheduler's picks depend on: each server with its weight and availability, and the scheduler instance.</summary>
    private static List<object?> Signature(VirtualServiceState service)
    {
        var signature = new List<object?> { service.Scheduler };
        foreach (var destination in service.Destinations)
        {
            signature.Add(destination);
            signature.Add(destination.Weight);
            signature.Add(destination.IsAvailable);
        }

        return signature;
    }

    /// <summary>Whether a server's MAC changed since picks were published with it (a MAC learnt for the first time is no change).</summary>
    private bool MacChanged(Slot slot)
    {
        foreach (var (destination, used) in slot.Macs)
        {
            if (_neighbours.TryGetMac(destination.Address, out var mac) && mac != used)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Withdraws the published picks (the kernel stops taking them at once) and takes new ones from the scheduler.</summary>
    private void Rebuild(int index)
    {
        var slot = _slots[index]!;
        Volatile.Write(ref *Produced(index), Volatile.Read(ref *Head(index)));
        Interlocked.MemoryBarrier();

        // A kernel that read the old count may still have taken one: it passes that SYN to user space, and the head
        // stays ahead of the count. The new picks start after everything taken.
        var head = (ulong)Volatile.Read(ref *Head(index));
        slot.Next = head;
        slot.LastHead = head;
        slot.Pending = null;
        slot.Macs.Clear();
        slot.Signature = Signature(slot.Service);
        Fill(index);
    }

    /// <summary>Publishes picks up to the look-ahead: writes the entries, then the count.</summary>
    // Ten times a second: optimized at once (tiering would run it unoptimized for its first 30 calls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Fill(int index)
    {
        var slot = _slots[index]!;
        var service = slot.Service;
        var key = service.Key;
        var request = new SchedulingRequest(ServiceProtocol.Tcp, NetworkAddress.FromIPv4(0), 0, key.Address, key.Port);
        var head = (ulong)Volatile.Read(ref *Head(index));
        var target = Math.Max(head, slot.Next) + (ulong)slot.Lookahead;
        target = Math.Min(target, head + RingSize);
        var position = slot.Next;
        while (position < target)
        {
            var destination = slot.Pending ?? service.Schedule(in request);
            if (destination is null)
            {
                break; // no server available: SYNs go to user space, which drops them as before
            }

            if (!_neighbours.TryGetMac(destination.Address, out var mac) || !TryGetId(destination, out var id))
            {
                slot.Pending = destination; // published once its MAC is known
                _neighbours.RequestResolution(destination.Address);
                break;
            }

            slot.Pending = null;
            slot.Macs[destination] = mac;
            var span = new Span<byte>(Entry(index, position), EntryLength);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], id);
            mac.Write(span[8..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)position);
            position++;
        }

        slot.Next = position;
        Volatile.Write(ref *Produced(index), (long)position);
    }

    /// <summary>Puts the service's entry into the services map, which turns kernel scheduling on for it.</summary>
    private void Publish(int index)
    {
        var key = ServiceKey(_slots[index]!.Service.Key);
        var value = stackalloc byte[ServiceValueLength];
        var span = new Span<byte>(value, ServiceValueLength);
        span.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)index);
        _directorMac.Write(span[4..]);
        BpfSystemCall.Update(_services, &key, value);
    }

    private void Release(int index)
    {
        var key = ServiceKey(_slots[index]!.Service.Key);
        BpfSystemCall.Delete(_services, &key);
        Volatile.Write(ref *Produced(index), Volatile.Read(ref *Head(index)));
        _slots[index] = null;
    }

    private static ulong ServiceKey(VirtualServiceKey key)
    {
        Span<byte> bytes = stackalloc byte[ServiceKeyLength];
        bytes.Clear();
        key.Address.WriteBytes(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes[4..], key.Port);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private bool TryGetId(RealServerState destination, out ushort id)
    {
        if (_ids.TryGetValue(destination, out id))
        {
            _unusedSince.Remove(id);
            return true;
        }

        for (var tries = 0; tries < MaxDestinationId; tries++)
        {
            var candidate = (ushort)_nextId;
            _nextId = _nextId == MaxDestinationId ? 1 : _nextId + 1;
            if (_byId[candidate] is null)
            {
                id = candidate;
                _ids[destination] = id;
                Volatile.Write(ref _byId[id], destination);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Frees the ids of servers no ring uses any more, ten seconds after they left (kernel-made flows that carry
    /// them are adopted within a second).
    /// </summary>
    private void FreeUnusedIds()
    {
        var now = Environment.TickCount64;
        var inUse = _slots.Where(s => s is not null).SelectMany(s => s!.Service.Destinations).ToHashSet();
        foreach (var (destination, id) in _ids.ToList())
        {
            if (inUse.Contains(destination))
            {
                _unusedSince.Remove(id);
            }
            else if (!_unusedSince.TryGetValue(id, out var since))
            {
                _unusedSince[id] = now;
            }
            else if (now - since > 10_000)
            {
                _unusedSince.Remove(id);
                _ids.Remove(destination);
                Volatile.Write(ref _byId[id], null);
            }
        }
    }

    private sealed class Slot(VirtualServiceState service)
    {
        public VirtualServiceState Service { get; } = service;

        public List<object?> Signature { get; set; } = [];

        /// <summary>Gets or sets the position of the next pick to publish.</summary>
        public ulong Next { get; set; }

        public ulong LastHead { get; set; }

        public int Lookahead { get; set; } = MinimumLookahead;

        /// <summary>Gets the MAC each server's published picks carry.</summary>
        public Dictionary<RealServerState, MacAddress> Macs { get; } = [];

        /// <summary>Gets or sets a pick taken from the scheduler whose server's MAC is not known yet.</summary>
        public RealServerState? Pending { get; set; }
    }
}
