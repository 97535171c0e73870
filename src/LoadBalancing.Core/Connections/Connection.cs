using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Connections;

/// <summary>
/// One entry of the connection table (IPVS <c>struct ip_vs_conn</c>): a client connection bound to a real
/// server, or a persistence template. Read-only to callers; the table changes it under the entry's own lock.
/// </summary>
public sealed class Connection
{
    /// <summary>The kernel re-arms a template that still controls entries for 60 s (<c>ip_vs_conn_expire</c>).</summary>
    internal const long ControllingRearmMilliseconds = 60_000;

    /// <summary>A new entry lives 3 s until its first state transition sets the real timeout (<c>ip_vs_conn_new</c>).</summary>
    internal const long InitialTimeoutMilliseconds = 3_000;

    private const byte TemplateAssured = 1;

    private readonly Lock _lock = new();
    private ConnectionFlags _flags;
    private byte _state;
    private bool _removed;
    private long _expiresMilliseconds;
    private int _controlCount;
    private HandshakeProgress _handshake;

    internal Connection(
        ConnectionKey key,
        RealServerState destination,
        ushort destinationPort,
        ConnectionFlags flags,
        Connection? template)
    {
        Key = key;
        Destination = destination;
        DestinationAddress = destination.Address;
        DestinationPort = destinationPort;
        Method = destination.Method;
        _flags = flags;
        Template = template;
        TimeoutMilliseconds = InitialTimeoutMilliseconds;
    }

    /// <summary>Gets the protocol name as ipvsadm prints it: <c>TCP</c>, <c>UDP</c>, <c>SCTP</c>, or <c>IP</c> for firewall-mark templates.</summary>
    public string ProtocolName => Key.Protocol switch
    {
        (int)ServiceProtocol.Tcp => "TCP",
        (int)ServiceProtocol.Udp => "UDP",
        (int)ServiceProtocol.Sctp => "SCTP",
        ConnectionKey.ProtocolIp => "IP",
        _ => $"IP_{Key.Protocol}",
    };

    /// <summary>Gets the client address (masked by <c>-M</c> for templates).</summary>
    public NetworkAddress ClientAddress => Key.ClientAddress;

    /// <summary>Gets the client port (0 for templates).</summary>
    public ushort ClientPort => Key.ClientPort;

    /// <summary>Gets the virtual address (for firewall-mark templates, the mark as an address).</summary>
    public NetworkAddress VirtualAddress => Key.VirtualAddress;

    /// <summary>Gets the virtual port.</summary>
    public ushort VirtualPort => Key.VirtualPort;

    /// <summary>Gets the real server the entry is bound to.</summary>
    public RealServerState Destination { get; }

    /// <summary>Gets the real server address.</summary>
    public NetworkAddress DestinationAddress { get; }

    /// <summary>Gets the real server port packets go to (the client's port when the server's port is 0).</summary>
    public ushort DestinationPort { get; }

    /// <summary>Gets the forwarding method, fixed when the entry was created.</summary>
    public ForwardingMethod Method { get; }

    /// <summary>Gets the persistence template controlling this entry, if the service is persistent.</summary>
    public Connection? Template { get; }

    /// <summary>Gets the entry's flags.</summary>
    public ConnectionFlags Flags => _flags;

    /// <summary>Gets a value indicating whether this entry is a persistence template.</summary>
    public bool IsTemplate => (Flags & ConnectionFlags.Template) != 0;

    /// <summary>Gets the state name as <c>ipvsadm -Lc</c> prints it (<c>SYN_RECV</c>, <c>UDP</c>, <c>ASSURED</c> …).</summary>
    public string StateName
    {
        get
        {
            var state = _state;
            if (IsTemplate)
            {
                // ip_vs_ctpl_state_name_table: templates are NONE until a controlled entry is "assured".
                return state == TemplateAssured ? "ASSURED" : "NONE";
            }

            return Key.Protocol switch
            {
                (int)ServiceProtocol.Tcp => TcpStates.Name(state),
                (int)ServiceProtocol.Udp => "UDP",
                (int)ServiceProtocol.Sctp => SctpStates.Name(state),
                _ => "NONE",
            };
        }
    }

    /// <summary>
    /// Gets a value indicating whether the entry is a TCP or SCTP connection in ESTABLISHED (after the handshake as
    /// the director saw it), the state in which a kernel fast path may carry its packets.
    /// </summary>
    public bool IsEstablished => Key.Protocol switch
    {
        (int)ServiceProtocol.Tcp => _state == TcpStates.Established,
        (int)ServiceProtocol.Sctp => _state == SctpStates.Established,
        _ => false,
    };

    internal ConnectionKey Key { get; }

    internal Lock SyncRoot => _lock;

    /// <summary>Gets the protocol state (TCP/SCTP state index; for templates 0 = NONE, 1 = ASSURED).</summary>
    internal byte State => _state;

    /// <summary>Gets or sets the timeout the timer is restarted with (<c>cp->timeout</c>).</summary>
    internal long TimeoutMilliseconds { get; set; }

    /// <summary>Gets the absolute expiry time, in milliseconds on the table's clock.</summary>
    internal long ExpiresMilliseconds => Volatile.Read(ref _expiresMilliseconds);

    /// <summary>Gets or sets the second of the timer-wheel slot entry that is authoritative for this entry.</summary>
    internal long ScheduledSecond { get; set; } = long.MaxValue;

    /// <summary>Gets the number of live entries this template controls (<c>n_control</c>).</summary>
    internal int ControlCount => Volatile.Read(ref _controlCount);

    /// <summary>
    /// Gets a value indicating whether the entry has left its table (and been unbound): it expired, or a new
    /// connection took its tuple. An entry never comes back; a forwarder that keeps a reference (a kernel fast
    /// path's flow) drops it then.
    /// </summary>
    public bool IsRemoved
    {
        get => Volatile.Read(ref _removed);
        internal set => Volatile.Write(ref _removed, value);
    }

    /// <inheritdoc/>
    public override string ToString()
        => $"{ProtocolName} {ClientAddress}:{ClientPort} -> {VirtualAddress}:{VirtualPort} -> {DestinationAddress}:{DestinationPort} {StateName}";

    internal void AddControlled() => Interlocked.Increment(ref _controlCount);

    internal void RemoveControlled() => Interlocked.Decrement(ref _controlCount);

    internal void SetFlag(ConnectionFlags flag, bool on)
        => _flags = on ? _flags | flag : _flags & ~flag;

    /// <summary>
    /// Restarts the timer with <see cref="TimeoutMilliseconds"/> (<c>ip_vs_conn_put</c>). The wheel is only
    /// touched when the new expiry is earlier than the slot the entry sits in; a later expiry is noticed lazily
    /// when that slot comes round, so the common per-packet refresh is a single store. Call under the lock.
    /// </summary>
    internal void RestartTimer(long nowMilliseconds, TimerWheel wheel)
    {
        var expires = nowMilliseconds + TimeoutMilliseconds;
        Volatile.Write(ref _expiresMilliseconds, expires);
        var due = TimerWheel.SecondOf(expires);
        if (due < ScheduledSecond)
        {
            ScheduledSecond = due;
            wheel.Schedule(this, due);
        }
    }

    /// <summary>
    /// Applies one packet to the protocol state machine (<c>set_tcp_state</c>, <c>udp_state_transition</c>,
    /// <c>set_sctp_state</c>) and moves the entry between ActiveConn and InActConn. Call under the lock.
    /// </summary>
    /// <returns>What the packet says about the real server's answer to a one-way TCP handshake (see <see cref="IHandshakeObserver"/>).</returns>
    internal HandshakeSignal Transition(PacketDirection direction, in PacketInfo packet, ConnectionTableOptions options)
    {
        var signal = HandshakeSignal.None;
        switch (Key.Protocol)
        {
            case (int)ServiceProtocol.Tcp:
                direction = ResolveDirection(direction);
                var previous = _state;
                var tcp = TcpStates.Next(direction, packet.TcpFlags, previous);
                if (direction == PacketDirection.InputOnly)
                {
                    signal = ObserveHandshake(previous, tcp, packet.TcpFlags);
                }

                SetState(tcp, TcpStates.IsActive(tcp), tcp == TcpStates.Established);
                TimeoutMilliseconds = TcpStates.TimeoutMilliseconds(_state, options.Timeouts);
                break;

            case (int)ServiceProtocol.Sctp:
                direction = ResolveDirection(direction);
                var sctp = SctpStates.Next(direction, packet.SctpChunk, _state);
                SetState(sctp, SctpStates.IsActive(sctp), sctp == SctpStates.Established);
                TimeoutMilliseconds = SctpStates.TimeoutMilliseconds(_state);
                break;

            default:
                // UDP has one state and never leaves InActConn; a reply "assures" the template.
                TimeoutMilliseconds = (long)options.Timeouts.Udp.TotalMilliseconds;
                if (direction == PacketDirection.Output)
                {
                    AssureTemplate();
                }

                break;
        }

        return signal;
    }

    /// <summary>
    /// Whether the entry expires as an unanswered one-way handshake: still in SYN_RECV after a single SYN (a
    /// retransmission was already reported). Only one-way TCP entries ever start a handshake. Call under the lock.
    /// </summary>
    internal bool IsUnansweredHandshake => _handshake == HandshakeProgress.Sent && _state == TcpStates.SynRecv;

    /// <summary>Counts the entry on its server (<c>ip_vs_bind_dest</c>).</summary>
    internal void Bind() => Destination.Bind(CountKind);

    /// <summary>Releases the entry's count on its server (<c>ip_vs_unbind_dest</c>). Call under the lock.</summary>
    internal void Unbind() => Destination.Unbind(CountKind);

    private ConnectionCountKind CountKind
        => (_flags & ConnectionFlags.Template) != 0 ? ConnectionCountKind.Template
            : (_flags & ConnectionFlags.Inactive) != 0 ? ConnectionCountKind.Inactive
            : ConnectionCountKind.Active;

    /// <summary>
    /// Reads the client's half of a handshake: a SYN that enters SYN_RECV starts one, a SYN while in SYN_RECV is
    /// a retransmission (the server's SYN-ACK did not arrive), SYN_RECV → ESTABLISHED means it did.
    /// </summary>
    private HandshakeSignal ObserveHandshake(byte previous, byte next, TcpFlags flags)
    {
        if (next == TcpStates.SynRecv && (flags & TcpFlags.Syn) != 0)
        {
            if (previous != TcpStates.SynRecv)
            {
                _handshake = HandshakeProgress.Sent;
                return HandshakeSignal.None;
            }

            if (_handshake == HandshakeProgress.Sent && (flags & TcpFlags.Ack) == 0)
            {
                _handshake = HandshakeProgress.Retransmitted;
                return HandshakeSignal.Retransmitted;
            }

            return HandshakeSignal.None;
        }

        if (previous == TcpStates.SynRecv && next == TcpStates.Established && _handshake != HandshakeProgress.None)
        {
            _handshake = HandshakeProgress.None;
            return HandshakeSignal.Answered;
        }

        return HandshakeSignal.None;
    }

    /// <summary>NOOUTPUT entries use the INPUT-ONLY table until an OUTPUT packet proves replies pass the director.</summary>
    private PacketDirection ResolveDirection(PacketDirection direction)
    {
        if ((_flags & ConnectionFlags.NoOutput) == 0)
        {
            return direction;
        }

        if (direction == PacketDirection.Output)
        {
            _flags &= ~ConnectionFlags.NoOutput;
            return direction;
        }

        return PacketDirection.InputOnly;
    }

    private void SetState(byte next, bool active, bool established)
    {
        if (next != _state)
        {
            var inactive = (_flags & ConnectionFlags.Inactive) != 0;
            if (!inactive && !active)
            {
                _flags |= ConnectionFlags.Inactive;
                Destination.MoveConnection(nowActive: false);
            }
            else if (inactive && active)
            {
                _flags &= ~ConnectionFlags.Inactive;
                Destination.MoveConnection(nowActive: true);
            }

            if (established)
            {
                AssureTemplate();
            }
        }

        _state = next;
    }

    /// <summary><c>ip_vs_control_assure_ct</c>: the template has seen a working connection.</summary>
    private void AssureTemplate()
    {
        var template = Template;
        if (template is not null && template._state != TemplateAssured)
        {
            template._state = TemplateAssured;
        }
    }

    private enum HandshakeProgress : byte
    {
        None,
        Sent,
        Retransmitted,
    }
}
