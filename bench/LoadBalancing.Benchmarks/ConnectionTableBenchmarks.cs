using BenchmarkDotNet.Attributes;
using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Benchmarks;

/// <summary>
/// The IPVS connection table: a packet of an existing flow (lookup + state refresh), and a new flow
/// (SYN: schedule + insert) followed by its RST so the table stays the same size.
/// </summary>
public class ConnectionTableBenchmarks
{
    private ConnectionTable _table = null!;
    private VirtualServiceState _service = null!;
    private PacketInfo[] _established = null!;
    private int _next;
    private uint _newClient;

    [Params(100_000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _service = BenchmarkServices.Create(SchedulerNames.WeightedLeastConnection, 100, seed: 42);
        _table = new ConnectionTable(TimeProvider.System);
        _established = new PacketInfo[Connections];
        for (var i = 0; i < Connections; i++)
        {
            var syn = Packet(0x0B000000u + (uint)i, (ushort)(1024 + (i % 60000)), TcpFlags.Syn);
            _table.ProcessInbound(in syn, _service);
            _established[i] = syn with { TcpFlags = TcpFlags.Ack };
            _table.ProcessInbound(in _established[i], _service);
        }

        _newClient = 0x0C000000u;
    }

    [Benchmark]
    public ConnectionVerdict LookupEstablished()
    {
        ref readonly var packet = ref _established[_next++ % Connections];
        return _table.ProcessInbound(in packet, _service).Verdict;
    }

    [Benchmark]
    public ConnectionVerdict InsertNewFlowThenReset()
    {
        var client = _newClient++;
        var syn = Packet(client, 40000, TcpFlags.Syn);
        var verdict = _table.ProcessInbound(in syn, _service).Verdict;
        var rst = syn with { TcpFlags = TcpFlags.Rst };
        _table.ProcessInbound(in rst, _service);
        return verdict;
    }

    private static PacketInfo Packet(uint client, ushort port, TcpFlags flags) => new()
    {
        Protocol = ServiceProtocol.Tcp,
        SourceAddress = NetworkAddress.FromIPv4(client),
        SourcePort = port,
        DestinationAddress = BenchmarkServices.Vip,
        DestinationPort = 80,
        TcpFlags = flags,
        Length = 60,
    };
}
