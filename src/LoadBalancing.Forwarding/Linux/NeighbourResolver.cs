using System.Net;
using System.Net.Sockets;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// Keeps <see cref="NeighbourCache"/> filled from the kernel's neighbour table (rtnetlink <c>RTM_GETNEIGH</c>
/// dumps) for the real servers, and makes the kernel resolve the ones it does not know.
/// </summary>
/// <remarks>
/// Resolution is triggered by sending one UDP datagram to the real server's discard port (9): the kernel creates
/// an INCOMPLETE entry and sends the ARP request / neighbour solicitation itself, with its own retries and timers;
/// the server's answer (at worst an ICMP port unreachable) is harmless. This needs no privileges and works for
/// IPv4 and IPv6 alike, unlike creating INCOMPLETE entries with <c>RTM_NEWNEIGH</c>, which the kernel rejects
/// without a link-layer address on most kernels. Entries that are not REACHABLE/PERMANENT are probed the same way,
/// because frames we forward bypass the kernel's neighbour code and never confirm the entry.
/// </remarks>
internal sealed partial class NeighbourResolver : IDisposable
{
    private const int DiscardPort = 9;
    private static readonly TimeSpan FollowUp = TimeSpan.FromMilliseconds(30);

    private readonly NeighbourCache _cache;
    private readonly int _interfaceIndex;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly RtNetlinkSocket _netlink = new();
    private readonly Socket? _udp4;
    private readonly Socket? _udp6;
    private readonly ManualResetEvent _stop = new(false);
    private readonly Lock _refreshLock = new();
    private NetworkAddress[] _targets = [];
    private Thread? _thread;

    public NeighbourResolver(NeighbourCache cache, int interfaceIndex, TimeSpan interval, ILogger logger)
    {
        _cache = cache;
        _interfaceIndex = interfaceIndex;
        _interval = interval;
        _logger = logger;
        _udp4 = TryCreate(AddressFamily.InterNetwork);
        _udp6 = TryCreate(AddressFamily.InterNetworkV6);
    }

    /// <summary>Sets the addresses to keep resolved (the real servers of every service).</summary>
    public void SetTargets(IEnumerable<NetworkAddress> targets) => Volatile.Write(ref _targets, [.. targets.Distinct()]);

    public bool AllResolved() => Volatile.Read(ref _targets).All(t => _cache.TryGetMac(t, out _));

    /// <summary>One pass: dump the kernel table, update the cache, probe what is unknown or unconfirmed.</summary>
    /// <returns>Whether a probe was sent (worth looking again soon).</returns>
    public bool RefreshOnce()
    {
        lock (_refreshLock)
        {
            var targets = new HashSet<NetworkAddress>(Volatile.Read(ref _targets));
            targets.UnionWith(_cache.TakeWanted());
            var states = new Dictionary<NetworkAddress, NeighbourEntry>();
            foreach (var entry in _netlink.DumpNeighbours())
            {
                if (entry.InterfaceIndex == _interfaceIndex && targets.Contains(entry.Address))
                {
                    states[entry.Address] = entry;
                }
            }

            var probed = false;
            foreach (var target in targets)
            {
                if (states.TryGetValue(target, out var entry) && entry.Mac is { } mac && (entry.State & NeighbourState.Valid) != 0)
                {
                    if (!_cache.TryGetMac(target, out var known) || known != mac)
                    {
                        Log.Resolved(_logger, target, mac, entry.State);
                    }

                    _cache.Set(target, mac);
                    if ((entry.State & NeighbourState.Fresh) != 0)
                    {
                        continue;
                    }
                }

                probed |= Probe(target);
            }

            return probed;
        }
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "lb-dr-neighbours" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _netlink.Dispose();
        _udp4?.Dispose();
        _udp6?.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        WaitHandle[] handles = [_stop, _cache.WantedSignal];
        var wait = TimeSpan.Zero;
        while (WaitHandle.WaitAny(handles, wait) != 0)
        {
            try
            {
                wait = RefreshOnce() ? FollowUp : _interval;
            }
#pragma warning disable CA1031 // A failed pass must not end resolution; it is logged and retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.RefreshFailed(_logger, ex);
                wait = _interval;
            }
        }
    }

    private bool Probe(NetworkAddress target)
    {
        var socket = target.IsIPv6 ? _udp6 : _udp4;
        if (socket is null)
        {
            return false;
        }

        try
        {
            socket.SendTo([0], new IPEndPoint(target.ToIPAddress(), DiscardPort));
            return true;
        }
        catch (SocketException ex)
        {
            Log.ProbeFailed(_logger, target, ex.SocketErrorCode);
            return false;
        }
    }

    private static Socket? TryCreate(AddressFamily family)
    {
        try
        {
            return new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        }
        catch (SocketException)
        {
            return null; // e.g. IPv6 disabled in this namespace
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Real server {Address} is at {Mac} ({State})")]
        public static partial void Resolved(ILogger logger, NetworkAddress address, MacAddress mac, NeighbourState state);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Reading the neighbour table failed")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Resolution probe to {Address} failed: {Error}")]
        public static partial void ProbeFailed(ILogger logger, NetworkAddress address, SocketError error);
    }
}
