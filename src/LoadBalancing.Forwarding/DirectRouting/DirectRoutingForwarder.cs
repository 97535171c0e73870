using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The Linux Direct-Routing data plane: receives the frames for the virtual addresses of a <see cref="ServiceTable"/>
/// on raw packet sockets, schedules them through a <see cref="ConnectionTable"/> and sends them to the chosen real
/// servers with only the MAC addresses changed, as IPVS's <c>-g</c> forwarding does.
/// </summary>
/// <remarks>
/// <para>
/// The director's kernel must not answer for the virtual address itself (it would reset the connections). The
/// arrangement used and tested is classic LVS-DR: the director owns the VIP on its interface (so it answers ARP),
/// and an nftables rule in the <c>netdev</c> ingress hook of that interface drops IP packets to the VIP unless they
/// are marked <c>PACKET_OTHERHOST</c>:
/// <c>table netdev lb_vip { chain in { type filter hook ingress device "eth0" priority 0; policy accept; ip daddr VIP meta pkttype != other drop } }</c>
/// (for an IPv6 VIP: <c>ip6 daddr VIP6 meta l4proto != ipv6-icmp meta pkttype != other drop</c>, and the VIP added
/// with <c>preferred_lft 0</c> so it is never a source address; see README.md next to this file). Without the tcx
/// fast path the packet sockets are bound to <c>ETH_P_ALL</c>, whose taps run before that hook, so they see every
/// frame, and the rule drops them all for the kernel. With <see cref="XdpMode.Tc"/> they are bound to
/// <c>ETH_P_IP</c>/<c>ETH_P_IPV6</c> and run after the hook: the classifier marks the frames it passes to a virtual
/// address <c>PACKET_OTHERHOST</c>, which the rule lets on, the packet sockets receive and <c>ip_rcv</c> drops. The
/// rule is fail-closed: with no classifier attached (stopped, crashed) everything to the VIP is dropped.
/// Alternatively the director has no VIP and clients route the VIP via the director's address. In both, keep
/// <c>net.ipv4.ip_forward=0</c> on the director, so its kernel never forwards a second copy.
/// </para>
/// <para>
/// All sockets are created in the network namespace of the thread calling <see cref="StartAsync"/>.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed partial class DirectRoutingForwarder : IAsyncDisposable, IDisposable
{
    private readonly ServiceTable _services;
    private readonly DirectRoutingOptions _options;
    private readonly ILogger _logger;
    private readonly NeighbourCache _neighbours = new();
    private readonly List<PacketSocket> _sockets = [];
    private readonly List<Thread> _workers = [];
    private readonly Lock _filterLock = new();
    private readonly ManualResetEvent _housekeepingStop = new(false);
    private NeighbourResolver? _resolver;
    private ITimer? _expiry;
    private Thread? _housekeeping;
    private DirectRoutingEngine? _engine;
    private XdpFastPath? _fastPath;
    private NetworkAddress[] _virtualAddresses = [];
    private volatile bool _stopping;
    private int _state; // 0 new, 1 started, 2 stopped

    private const int MaxXdpFlows = 16 * 1024 * 1024;

    // With the fast path, the published picks are topped up ten times a second (the look-ahead covers four such
    // periods), and the sweeps over the kernel's counters run in slices as often; the rest runs once a second.
    private const int TickMs = 100;
    private const int SecondMs = 1000;

    /// <summary>Initializes a forwarder; nothing is opened before <see cref="StartAsync"/>.</summary>
    /// <param name="services">The virtual services to forward; changes apply to new connections at once.</param>
    /// <param name="options">The options; <see cref="DirectRoutingOptions.InterfaceName"/> is required.</param>
    /// <param name="connections">The connection table, or <see langword="null"/> for a new one whose expiry the forwarder runs.</param>
    /// <param name="logger">The logger.</param>
    public DirectRoutingForwarder(ServiceTable services, DirectRoutingOptions options, ConnectionTable? connections = null, ILogger<DirectRoutingForwarder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.InterfaceName))
        {
            throw new ArgumentException($"Set {nameof(DirectRoutingOptions)}.{nameof(DirectRoutingOptions.InterfaceName)} to the director's interface.", nameof(options));
        }

        if (!Enum.IsDefined(options.Xdp))
        {
            throw new ArgumentException($"{nameof(DirectRoutingOptions)}.{nameof(DirectRoutingOptions.Xdp)} must be Off, Generic, Native or Tc, not {(int)options.Xdp}.", nameof(options));
        }

        if (options.XdpMaxFlows is < 1 or > MaxXdpFlows)
        {
            throw new ArgumentException($"{nameof(DirectRoutingOptions)}.{nameof(DirectRoutingOptions.XdpMaxFlows)} must be between 1 and {MaxXdpFlows}, not {options.XdpMaxFlows}.", nameof(options));
        }

        _services = services;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        OwnsConnections = connections is null;
        Connections = connections ?? new ConnectionTable();
    }

    /// <summary>Gets the connection table the forwarder schedules through (what <c>lbadm -Lnc</c> lists).</summary>
    public ConnectionTable Connections { get; }

    /// <summary>Gets the frame counters of all workers.</summary>
    public DirectRoutingStatistics Statistics { get; } = new();

    private bool OwnsConnections { get; }

    /// <summary>
    /// Counts the flows in the XDP fast path's kernel map right now by walking it (0 when <see cref="DirectRoutingOptions.Xdp"/>
    /// is off or the forwarder is stopped). For diagnostics: it takes one system call per flow.
    /// </summary>
    /// <returns>The number of flows the kernel forwards by itself.</returns>
    public int CountFastPathFlows()
    {
        lock (_filterLock)
        {
            return Volatile.Read(ref _state) == 1 && _fastPath is not null ? _fastPath.CountKernelFlows() : 0;
        }
    }

    /// <summary>
    /// Opens one packet socket per worker on the interface (in the calling thread's network namespace), starts the
    /// workers and neighbour resolution, and waits up to <see cref="DirectRoutingOptions.StartupResolutionTimeout"/>
    /// for the real servers' MAC addresses.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for neighbour resolution (the forwarder keeps running).</param>
    /// <returns>A task that completes when the forwarder runs.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">A socket could not be opened (CAP_NET_RAW missing, no such interface).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The forwarder was already started.");
        }

        // Everything that opens a socket runs before the first await, on the caller's thread (and namespace).
        try
        {
            _virtualAddresses = CurrentVirtualAddresses();
            var filter = ClassicBpf.Build(_virtualAddresses);
            var workers = _options.EffectiveWorkers;

            // Fanout group ids are per network namespace; a random one avoids joining another forwarder's group.
            // With the tcx fast path the sockets are bound per protocol (they then run after the classifier and see
            // only what it passes): one set, and fanout group, for IPv4 and one for IPv6. They see mostly the first
            // packet of each flow: spreading by CPU spares the flow dissection a hash fanout does per frame.
            var tc = _options.Xdp == XdpMode.Tc;
            ushort[] protocols = tc ? [LibC.ETH_P_IP, LibC.ETH_P_IPV6] : [LibC.ETH_P_ALL];
            foreach (var protocol in protocols)
            {
                var fanoutGroup = workers > 1 ? Random.Shared.Next(1, 0xFFFF) : -1;
                for (var i = 0; i < workers; i++)
                {
                    _sockets.Add(PacketSocket.Open(_options.InterfaceName, filter, fanoutGroup, _options.ReceivePollInterval, _options.UseReceiveRing, protocol, fanoutByCpu: tc));
                }
            }

            _engine = new DirectRoutingEngine(_services, Connections, _neighbours, _sockets[0].InterfaceMac, Statistics, _options.DrainRemovedServers);
            if (_options.Xdp != XdpMode.Off)
            {
                // Attached last, once the slow path is ready for everything the program passes.
                _fastPath = XdpFastPath.Create(_options.Xdp, _options.XdpMaxFlows, Connections, _neighbours, Statistics, _sockets[0].InterfaceMac, _options.DrainRemovedServers, _options.KernelScheduling);
                _fastPath.RefreshSchedule(_services.Services);
                _engine.FastPath = _fastPath;
                _fastPath.SetVirtualAddresses(_virtualAddresses);
                _fastPath.Attach(_sockets[0].InterfaceIndex, _options.InterfaceName);
            }

            _resolver = new NeighbourResolver(_neighbours, _sockets[0].InterfaceIndex, _options.NeighbourRefreshInterval, _logger);
            _resolver.SetTargets(CurrentRealServers());
            _resolver.RefreshOnce();
        }
        catch
        {
            DisposeResources();
            Volatile.Write(ref _state, 2);
            throw;
        }

        _services.Changed += OnServicesChanged;
        if (_fastPath is null && _options.RunConnectionTableExpiry)
        {
            _expiry = Connections.StartExpiryTimer();
        }

        _housekeeping = new Thread(Housekeep) { IsBackground = true, Name = "lb-dr-housekeeping" };
        _housekeeping.Start();

        foreach (var socket in _sockets)
        {
            var worker = new Thread(() => Work(socket)) { IsBackground = true, Name = $"lb-dr-{_workers.Count}" };
            _workers.Add(worker);
            worker.Start();
        }

        _resolver.Start();
        Log.Started(_logger, _options.InterfaceName, _sockets[0].InterfaceMac, _sockets.Count, _virtualAddresses.Length);
        if (_fastPath is not null)
        {
            Log.FastPathAttached(_logger, _options.InterfaceName, _options.Xdp, _options.XdpMaxFlows);
        }

        var deadline = DateTime.UtcNow + _options.StartupResolutionTimeout;
        var resolver = _resolver;
        while (!resolver.AllResolved() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            try
            {
                resolver.RefreshOnce();
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                break; // stopped meanwhile, or netlink failed: the resolver thread keeps trying
            }
        }

        // The servers' MACs are known now: publish the kernel's first picks before the first SYN comes.
        RefillSchedule();
    }

    /// <summary>Stops the workers and closes every socket. Established connections are no longer forwarded.</summary>
    /// <param name="cancellationToken">Unused; stopping takes at most one receive poll interval.</param>
    /// <returns>A task that completes when everything is closed.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return Task.CompletedTask;
        }

        _services.Changed -= OnServicesChanged;
        lock (_filterLock)
        {
            // A filter update that started before the state changed finishes before the sockets close.
        }

        _stopping = true;
        _housekeepingStop.Set();
        _housekeeping?.Join();
        foreach (var worker in _workers)
        {
            worker.Join();
        }

        DisposeResources();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops the forwarder (stopping is synchronous: workers notice within one receive poll interval).</summary>
    public void Dispose()
    {
        StopAsync().GetAwaiter().GetResult();
        _neighbours.Dispose();
        _housekeepingStop.Dispose();
    }

    private void Work(PacketSocket socket)
    {
        using var batch = socket.Ring is null ? null : new SendBatch(socket.Descriptor, socket.InterfaceIndex);

        // One reusable, pinned buffer per worker for the recv() path: no allocation per frame. 64 KiB covers any
        // frame the interface can deliver (offloads that build larger GRO frames must be off, see README).
        var buffer = socket.Ring is null ? GC.AllocateUninitializedArray<byte>(64 * 1024, pinned: true) : null;
        while (!_stopping)
        {
            try
            {
                if (socket.Ring is { } ring)
                {
                    RunRing(ring, batch!);
                }
                else
                {
                    RunReceive(socket, buffer!);
                }
            }
#pragma warning disable CA1031 // A bug hit by one frame must not stop forwarding; it is logged and the loop resumes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.WorkerFailed(_logger, ex);
            }
        }
    }

    private void RunRing(PacketRing ring, SendBatch batch)
    {
        var handler = new RingForwardingHandler(_engine!, batch, Statistics);
        var timeoutMs = (int)_options.ReceivePollInterval.TotalMilliseconds;
        var batchDelayNs = (long)(Math.Clamp(_options.BatchDelay.Ticks, 0, TimeSpan.TicksPerMillisecond * 10) * 100);
        while (!_stopping)
        {
            var handled = ring.ProcessBatch(ref handler, timeoutMs);
            if (handled is > 0 and < PacketRing.MaxBatch && batchDelayNs > 0)
            {
                // Let the next frames gather in the ring: the following batch then costs one wake-up for several.
                LibC.Sleep(batchDelayNs);
            }
        }
    }

    private void RunReceive(PacketSocket socket, byte[] buffer)
    {
        var engine = _engine!;
        while (!_stopping)
        {
            var length = socket.Receive(buffer);
            if (length <= 0)
            {
                if (length < 0)
                {
                    Thread.Sleep(10); // socket error (e.g. interface gone): don't spin
                }

                continue;
            }

            var frame = buffer.AsSpan(0, length);
            if (DirectRoutingEngine.IsSend(engine.Process(frame)) && !socket.Send(frame))
            {
                Statistics.CountSendError();
            }
        }
    }

    private void OnServicesChanged(object? sender, EventArgs e)
    {
        lock (_filterLock)
        {
            if (Volatile.Read(ref _state) != 1)
            {
                return;
            }

            _resolver?.SetTargets(CurrentRealServers());
            try
            {
                // At once: a removed or drained server must get no further kernel-scheduled connection.
                _fastPath?.RefreshSchedule(_services.Services);
            }
            catch (BpfException ex)
            {
                Log.FastPathSynchronizeFailed(_logger, ex);
            }

            var addresses = CurrentVirtualAddresses();
            if (addresses.AsSpan().SequenceEqual(_virtualAddresses))
            {
                return;
            }

            try
            {
                // The classifier's marking first: a new virtual address's frames then reach the sockets at once.
                _fastPath?.SetVirtualAddresses(addresses);
                var filter = ClassicBpf.Build(addresses);
                foreach (var socket in _sockets)
                {
                    socket.AttachFilter(filter);
                }

                _virtualAddresses = addresses;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException or BpfException)
            {
                // The old filter stays; the service table change itself has been applied.
                Log.FilterUpdateFailed(_logger, ex);
            }
        }
    }

    /// <summary>
    /// The forwarder's periodic work, on a thread of its own. With the fast path, every <see cref="TickMs"/>: the
    /// picks topped up, and a slice of the sweep over the kernel's flow counters (a sweep starts once a second and
    /// takes up to <see cref="XdpFastPath.SlicesPerSweep"/> slices; spread so, it never holds this thread for the
    /// whole sweep), with the table's expiry round after each sweep, so an entry whose packets all take the
    /// fast path never expires while it is active. In every mode, once a second, what the kernel dropped because a
    /// ring was full. Not thread-pool timers: each of their callbacks wakes a pool thread, which then spins looking
    /// for more work, and that spinning was most of an idle director's CPU time (docs/benchmarks.md, stop 15).
    /// </summary>
    private void Housekeep()
    {
        var fastPath = _fastPath is not null;
        var refill = _fastPath?.Schedule is not null;
        var nextSecond = Environment.TickCount64 + SecondMs;
        var nextSweep = nextSecond;
        var sweeping = false;
        while (!_housekeepingStop.WaitOne(fastPath ? TickMs : SecondMs))
        {
            if (refill)
            {
                RefillSchedule();
            }

            var now = Environment.TickCount64;
            if (fastPath && (sweeping || now >= nextSweep))
            {
                if (!sweeping)
                {
                    nextSweep = now + SecondMs;
                }

                sweeping = !SynchronizeFastPath();
            }

            if (now >= nextSecond)
            {
                nextSecond = now + SecondMs;
                ReadKernelDrops();
            }
        }
    }

    private void ReadKernelDrops()
    {
        lock (_filterLock)
        {
            // Under the lock StopAsync passes before it closes the sockets, as OnServicesChanged.
            if (Volatile.Read(ref _state) != 1)
            {
                return;
            }

            foreach (var socket in _sockets)
            {
                Statistics.CountKernelDrops(socket.ReadKernelDrops());
            }
        }
    }

    // A slice of the sweep over the kernel's counters; after the sweep's last, the table's expiry round (when the
    // forwarder runs it). Returns whether the sweep ended (or nothing was done: the forwarder is stopping).
    private bool SynchronizeFastPath() => OnFastPath(static fastPath => fastPath.SynchronizeSlice(), expireAfter: true);

    private void RefillSchedule() => OnFastPath(static fastPath =>
    {
        fastPath.RefillSchedule();
        return false;
    }, expireAfter: false);

    /// <summary>
    /// Runs periodic fast-path work under the lock <see cref="StopAsync"/> passes before it disposes the fast path,
    /// then the table's expiry round if <paramref name="expireAfter"/> and the work returned true (or failed).
    /// </summary>
    /// <returns>What the work returned; true when it failed or did not run.</returns>
    private bool OnFastPath(Func<XdpFastPath, bool> work, bool expireAfter)
    {
        lock (_filterLock)
        {
            if (Volatile.Read(ref _state) != 1 || _fastPath is null)
            {
                return true;
            }

            bool ended;
            try
            {
                ended = work(_fastPath);
            }
            catch (BpfException ex)
            {
                Log.FastPathSynchronizeFailed(_logger, ex);
                ended = true;
            }

            if (ended && expireAfter && _options.RunConnectionTableExpiry)
            {
                Connections.Expire();
            }

            return ended;
        }
    }

    private NetworkAddress[] CurrentVirtualAddresses()
        => [.. _services.Services.Where(s => !s.Key.IsFirewallMark).Select(s => s.Key.Address).Distinct().Order()];

    private IEnumerable<NetworkAddress> CurrentRealServers()
        => _services.Services.SelectMany(s => s.Destinations).Where(d => d.Method == ForwardingMethod.Route).Select(d => d.Address);

    private void DisposeResources()
    {
        // First: detaching the program sends every frame back to the packet sockets (or, stopped, to the kernel's drop rule).
        _fastPath?.Dispose();
        _fastPath = null;
        _expiry?.Dispose();
        _expiry = null;
        _resolver?.Dispose();
        _resolver = null;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }

    /// <summary>
    /// Rewrites frames in place in the ring and queues the forwarded ones; a batch of ready slots leaves in one
    /// <c>sendmmsg()</c> before the slots are returned. A struct so the ring loop's calls are direct.
    /// </summary>
    private readonly unsafe struct RingForwardingHandler(DirectRoutingEngine engine, SendBatch batch, DirectRoutingStatistics statistics) : IFrameHandler
    {
        public void Handle(Span<byte> frame)
        {
            if (DirectRoutingEngine.IsSend(engine.Process(frame)))
            {
                // The span points into the mmap'ed ring, which never moves: taking its address is safe.
                var failed = batch.Add((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(frame)), frame.Length);
                statistics.CountSendErrors(failed);
            }
        }

        public void EndBlock() => statistics.CountSendErrors(batch.Flush());
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Direct routing on {Interface} ({Mac}): {Workers} workers, {VirtualAddresses} virtual addresses")]
        public static partial void Started(ILogger logger, string @interface, MacAddress mac, int workers, int virtualAddresses);

        [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "A forwarding worker failed; it resumes with the next frame")]
        public static partial void WorkerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Updating the packet filter for the new virtual addresses failed")]
        public static partial void FilterUpdateFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Reading the XDP fast path's flow counters failed")]
        public static partial void FastPathSynchronizeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Kernel fast path attached to {Interface} in {Mode} mode for scheduled IPv4 flows (up to {MaxFlows})")]
        public static partial void FastPathAttached(ILogger logger, string @interface, XdpMode mode, int maxFlows);
    }
}
