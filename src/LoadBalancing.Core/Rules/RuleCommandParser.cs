using System.Net.Sockets;
using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>
/// One ipvsadm <c>parse_options</c> + <c>process_options</c> run: popt-style scanning (bundled short options,
/// <c>--long=value</c>, <c>-p</c>'s optional argument), the per-option parsing in command-line order (so
/// <c>-r</c> before <c>-t</c> behaves as in ipvsadm), then the legality and consistency checks in ipvsadm's order.
/// </summary>
internal sealed class RuleCommandParser
{
    private const int NoArg = 0;
    private const int Required = 1;
    private const int Optional = 2;
    private const uint HostMask = 0xFFFFFFFF;

    private static readonly (string Long, char Short, int Arg)[] Options =
    [
        ("add-service", 'A', NoArg), ("edit-service", 'E', NoArg), ("delete-service", 'D', NoArg),
        ("clear", 'C', NoArg), ("list", 'L', NoArg), ("list", 'l', NoArg), ("zero", 'Z', NoArg),
        ("add-server", 'a', NoArg), ("edit-server", 'e', NoArg), ("delete-server", 'd', NoArg),
        ("set", '\0', NoArg), ("help", 'h', NoArg), ("version", 'v', NoArg), ("restore", 'R', NoArg),
        ("save", 'S', NoArg), ("start-daemon", '\0', Required), ("stop-daemon", '\0', Required),
        ("tcp-service", 't', Required), ("udp-service", 'u', Required), ("sctp-service", '\0', Required),
        ("fwmark-service", 'f', Required), ("scheduler", 's', Required), ("persistent", 'p', Optional),
        ("netmask", 'M', Required), ("real-server", 'r', Required), ("masquerading", 'm', NoArg),
        ("ipip", 'i', NoArg), ("gatewaying", 'g', NoArg), ("weight", 'w', Required),
        ("u-threshold", 'x', Required), ("l-threshold", 'y', Required), ("numeric", 'n', NoArg),
        ("connection", 'c', NoArg), ("mcast-interface", '\0', Required), ("syncid", '\0', Required),
        ("timeout", '\0', NoArg), ("daemon", '\0', NoArg), ("stats", '\0', NoArg), ("rate", '\0', NoArg),
        ("thresholds", '\0', NoArg), ("persistent-conn", '\0', NoArg), ("nosort", '\0', NoArg),
        ("sort", '\0', NoArg), ("exact", 'X', NoArg), ("ipv6", '6', NoArg), ("ops", 'o', NoArg),
        ("pe", '\0', Required), ("sched-flags", 'b', Required), ("mcast-group", '\0', Required),
        ("mcast-port", '\0', Required), ("mcast-ttl", '\0', Required), ("sync-maxlen", '\0', Required),
        ("tun-info", '\0', NoArg), ("tun-type", '\0', Required), ("tun-port", '\0', Required),
        ("tun-nocsum", '\0', NoArg), ("tun-csum", '\0', NoArg), ("tun-remcsum", '\0', NoArg),
    ];

    private readonly List<RuleToken> _tokens;
    private readonly int _line;
    private readonly ServiceNameTable _names;
    private readonly string _program;
    private readonly bool _inRestore;
    private readonly List<RuleToken> _leftovers = [];
    private readonly Dictionary<RuleOption, int> _optionColumns = [];

    private int _next;
    private int _clusterIndex;
    private RuleCommandKind? _command;
    private int _commandColumn = 1;
    private ulong _options;
    private ListOptions _listOptions;

    // The service being described (ipvsadm's ce.svc).
    private AddressFamily _svcFamily = AddressFamily.Unspecified;
    private ServiceProtocol _svcProtocol;
    private NetworkAddress _svcAddress;
    private ushort _svcPort;
    private uint _fwmark;
    private string _scheduler = "";
    private bool _persistent;
    private int _persistenceTimeout;
    private uint _netmask = HostMask;
    private int _netmaskColumn;
    private bool _onePacket;
    private string? _persistenceEngine;
    private RuleToken? _schedFlags;

    // The real server (ipvsadm's ce.dest), with ipvsadm's defaults.
    private AddressFamily _destFamily = AddressFamily.Unspecified;
    private NetworkAddress _destAddress;
    private ushort _destPort;
    private ForwardingMethod _method = ForwardingMethod.Route;
    private int _weight = 1;
    private uint _upperThreshold;
    private uint _lowerThreshold;
    private TunnelType _tunnelType;
    private ushort _tunnelPort;
    private TunnelChecksum _tunnelChecksum;

    private string? _daemonState;
    private (int, int, int) _timeouts;

    public RuleCommandParser(List<RuleToken> tokens, int line, ServiceNameTable names, string program, bool inRestore)
    {
        _tokens = tokens;
        _line = line;
        _names = names;
        _program = program;
        _inRestore = inRestore;
    }

    public RuleCommand Parse()
    {
        ParseFirstOption();
        if (_command is RuleCommandKind.Help or RuleCommandKind.Version)
        {
            // ipvsadm prints and exits as soon as it sees -h or -v; nothing after them is looked at.
            return new RuleCommand { Kind = _command.Value, Line = _line };
        }

        while (TryNextOption(out var option, out var token, out var arg))
        {
            HandleOption(option.Long, option.Short, token, arg);
        }

        var command = _command!.Value;
        if (command == RuleCommandKind.SetTimeouts)
        {
            ParseSetTimeouts();
        }

        if (_leftovers.Count > 0)
        {
            var extra = _leftovers[0];
            throw Fail($"unexpected argument {extra.Text}", extra.Column, "no further arguments (ipvsadm -R has no comments)");
        }

        var flags = _schedFlags is { } sf ? ParseSchedulerFlags(sf) : SchedulerFlags.None;
        CheckLegality(command);
        return Build(command, flags);
    }

    private void ParseFirstOption()
    {
        (string Long, char Short, int Arg) option;
        RuleToken token;
        RuleToken? arg;
        try
        {
            if (!TryNextOption(out option, out token, out arg))
            {
                throw TryHelp(_tokens.Count > 0 ? _tokens[0].Column : 1);
            }
        }
        catch (RuleParseException e) when (!e.ShowTryHelp)
        {
            // popt errors on the very first option only print the "Try -h" hint in ipvsadm.
            throw TryHelp(e.Column);
        }

        _commandColumn = token.Column;
        _command = option.Short switch
        {
            'A' => RuleCommandKind.AddService,
            'E' => RuleCommandKind.EditService,
            'D' => RuleCommandKind.DeleteService,
            'a' => RuleCommandKind.AddServer,
            'e' => RuleCommandKind.EditServer,
            'd' => RuleCommandKind.DeleteServer,
            'C' => RuleCommandKind.Clear,
            'L' or 'l' => RuleCommandKind.List,
            'Z' => RuleCommandKind.Zero,
            'R' => RuleCommandKind.Restore,
            'S' => RuleCommandKind.Save,
            'h' => RuleCommandKind.Help,
            'v' => RuleCommandKind.Version,
            _ => option.Long switch
            {
                "set" => RuleCommandKind.SetTimeouts,
                "start-daemon" => RuleCommandKind.StartDaemon,
                "stop-daemon" => RuleCommandKind.StopDaemon,
                _ => throw TryHelp(token.Column),
            },
        };

        if (_command is RuleCommandKind.StartDaemon or RuleCommandKind.StopDaemon)
        {
            _daemonState = arg!.Value.Text;
            if (_daemonState is not ("master" or "backup"))
            {
                throw Fail(
                    _command == RuleCommandKind.StartDaemon ? "illegal start-daemon parameter specified" : "illegal start_daemon specified",
                    arg.Value.Column,
                    "master or backup");
            }
        }
    }

    /// <summary>popt's <c>poptGetNextOpt</c>: the next option, skipping (and collecting) non-option words.</summary>
    private bool TryNextOption(out (string Long, char Short, int Arg) option, out RuleToken token, out RuleToken? arg)
    {
        arg = null;
        while (true)
        {
            if (_clusterIndex > 0)
            {
                token = _tokens[_next - 1];
                var c = token.Text[_clusterIndex];
                option = FindShort(c, token);
                var argColumn = token.Column + _clusterIndex + 1;
                _clusterIndex++;
                if (_clusterIndex >= token.Text.Length)
                {
                    _clusterIndex = 0;
                }

                if (option.Arg != NoArg)
                {
                    if (_clusterIndex > 0)
                    {
                        // The rest of the cluster is the argument: -t10.0.0.1:80, -p30.
                        arg = new RuleToken(token.Text[_clusterIndex..], argColumn);
                        _clusterIndex = 0;
                    }
                    else
                    {
                        arg = TakeArgument(option.Arg, token);
                    }
                }

                return true;
            }

            if (_next >= _tokens.Count)
            {
                option = default;
                token = default;
                return false;
            }

            token = _tokens[_next++];
            var text = token.Text;
            if (text == "--")
            {
                _leftovers.AddRange(_tokens.Skip(_next));
                _next = _tokens.Count;
                continue;
            }

            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                var name = text[2..];
                string? value = null;
                var eq = name.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }

                option = FindLong(name, token);
                if (option.Arg == NoArg && value is not null)
                {
                    throw PoptError(token, "option does not take an argument");
                }

                arg = value is not null
                    ? new RuleToken(value, token.Column + eq + 3)
                    : option.Arg == NoArg ? null : TakeArgument(option.Arg, token);
                return true;
            }

            if (text.Length > 1 && text[0] == '-')
            {
                _clusterIndex = 1;
                continue;
            }

            _leftovers.Add(token);
        }
    }

    private RuleToken? TakeArgument(int kind, RuleToken option)
    {
        if (kind == Optional)
        {
            // POPT_ARGFLAG_OPTIONAL: the next word is the argument unless it looks like an option.
            if (_next < _tokens.Count && !_tokens[_next].Text.StartsWith('-'))
            {
                return _tokens[_next++];
            }

            return null;
        }

        if (_next >= _tokens.Count)
        {
            throw PoptError(option, "missing argument");
        }

        return _tokens[_next++];
    }

    private (string Long, char Short, int Arg) FindShort(char c, RuleToken token)
    {
        foreach (var option in Options)
        {
            if (option.Short == c)
            {
                return option;
            }
        }

        throw PoptError(token, "unknown option");
    }

    private (string Long, char Short, int Arg) FindLong(string name, RuleToken token)
    {
        foreach (var option in Options)
        {
            if (option.Long == name)
            {
                return option;
            }
        }

        throw PoptError(token, "unknown option");
    }

    private void HandleOption(string name, char shortName, RuleToken token, RuleToken? arg)
    {
        var value = arg?.Text ?? "";
        var column = arg?.Column ?? token.Column;
        switch (name)
        {
            case "tcp-service":
            case "udp-service":
            case "sctp-service":
                SetOption(RuleOption.ServiceAddress, token);
                _svcProtocol = name switch
                {
                    "tcp-service" => ServiceProtocol.Tcp,
                    "udp-service" => ServiceProtocol.Udp,
                    _ => ServiceProtocol.Sctp,
                };
                if (ParseService(value, _svcProtocol, out var family, out var address, out var port) == 0)
                {
                    throw Fail("illegal virtual server address[:port] specified", column, "host[:port] or [IPv6]:port with a literal address and a port number or service name");
                }

                _svcFamily = family;
                _svcAddress = address;
                if (port is { } p)
                {
                    _svcPort = p;
                }

                if (family == AddressFamily.InterNetworkV6)
                {
                    _netmask = 128;
                }

                break;
            case "fwmark-service":
                SetOption(RuleOption.ServiceAddress, token);
                _svcFamily = AddressFamily.InterNetwork;
                _svcProtocol = ServiceProtocol.Tcp;
                if (!InetAddressParser.TryParseDecimal(value, 1, uint.MaxValue, out var mark))
                {
                    throw Fail($"invalid fwmark value `{value}' specified", column, "an integer from 1 to 4294967295");
                }

                _fwmark = (uint)mark;
                break;
            case "scheduler":
                SetOption(RuleOption.Scheduler, token);

                // strncpy into IP_VS_SCHEDNAME_MAXLEN - 1 bytes: longer names are cut.
                _scheduler = value.Length > 15 ? value[..15] : value;
                break;
            case "persistent":
                SetOption(RuleOption.Persistent, token);
                _persistent = true;
                if (arg is null)
                {
                    _persistenceTimeout = (int)VirtualServiceConfig.DefaultPersistenceTimeout.TotalSeconds;
                }
                else if (InetAddressParser.TryParseDecimal(value, 1, 2678400, out var timeout))
                {
                    _persistenceTimeout = (int)timeout;
                }
                else
                {
                    throw Fail($"invalid timeout value `{value}' specified", column, "a persistence timeout from 1 to 2678400 seconds");
                }

                break;
            case "netmask":
                SetOption(RuleOption.Netmask, token);
                _netmaskColumn = column;
                if (_svcFamily != AddressFamily.InterNetworkV6)
                {
                    if (!InetAddressParser.TryParseInetAton(value, out var mask))
                    {
                        throw Fail("illegal virtual server persistent mask specified", column, "a dotted-quad netmask such as 255.255.255.0");
                    }

                    _netmask = mask;
                }
                else
                {
                    var prefix = InetAddressParser.Atoi(value);
                    if (prefix is < 1 or > 128)
                    {
                        throw Fail("illegal ipv6 netmask specified", column, "an IPv6 prefix length from 1 to 128");
                    }

                    _netmask = (uint)prefix;
                }

                break;
            case "real-server":
                SetOption(RuleOption.RealServer, token);
                var parsed = ParseService(value, _svcProtocol, out var destFamily, out var destAddress, out var destPort);
                if (parsed == 0)
                {
                    throw Fail("illegal real server address[:port] specified", column, "host[:port] or [IPv6]:port with a literal address and a port number or service name");
                }

                _destFamily = destFamily;
                _destAddress = destAddress;

                // No port given: copy the service port as it is known at this point of the command line.
                _destPort = destPort ?? _svcPort;
                break;
            case "ipip":
            case "gatewaying":
            case "masquerading":
                SetOption(RuleOption.ForwardingMethod, token);
                _method = shortName switch
                {
                    'i' => ForwardingMethod.Tunnel,
                    'g' => ForwardingMethod.Route,
                    _ => ForwardingMethod.Masquerade,
                };
                break;
            case "weight":
                SetOption(RuleOption.Weight, token);
                _weight = (int)ParseNumber(value, 0, 65535, "illegal weight specified", column, "a weight from 0 to 65535");
                break;
            case "u-threshold":
                SetOption(RuleOption.UpperThreshold, token);
                _upperThreshold = (uint)ParseNumber(value, 0, int.MaxValue, "illegal u_threshold specified", column, "an upper threshold from 0 to 2147483647");
                break;
            case "l-threshold":
                SetOption(RuleOption.LowerThreshold, token);
                _lowerThreshold = (uint)ParseNumber(value, 0, int.MaxValue, "illegal l_threshold specified", column, "a lower threshold from 0 to 2147483647");
                break;
            case "connection":
                SetOption(RuleOption.Connection, token);
                _listOptions |= ListOptions.Connections;
                break;
            case "numeric":
                SetOption(RuleOption.Numeric, token);
                _listOptions |= ListOptions.Numeric;
                break;
            case "mcast-interface":
                SetOption(RuleOption.McastInterface, token);
                break;
            case "syncid":
                SetOption(RuleOption.SyncId, token);
                ParseNumber(value, 0, 255, "illegal syncid specified", column, "a sync id from 0 to 255");
                break;
            case "timeout":
                SetOption(RuleOption.Timeout, token);
                _listOptions |= ListOptions.Timeouts;
                break;
            case "daemon":
                SetOption(RuleOption.Daemon, token);
                _listOptions |= ListOptions.Daemons;
                break;
            case "stats":
                SetOption(RuleOption.Stats, token);
                _listOptions |= ListOptions.Stats;
                break;
            case "rate":
                SetOption(RuleOption.Rate, token);
                _listOptions |= ListOptions.Rate;
                break;
            case "thresholds":
                SetOption(RuleOption.Thresholds, token);
                _listOptions |= ListOptions.Thresholds;
                break;
            case "persistent-conn":
                SetOption(RuleOption.PersistentConn, token);
                _listOptions |= ListOptions.PersistentConnections;
                break;
            case "nosort":
                SetOption(RuleOption.NoSort, token);
                _listOptions |= ListOptions.NoSort;
                break;
            case "sort":
                // Sorting is the default; accepted for compatibility.
                break;
            case "exact":
                SetOption(RuleOption.Exact, token);
                _listOptions |= ListOptions.Exact;
                break;
            case "ipv6":
                if (_fwmark == 0)
                {
                    // ipvsadm's message carries its own newline, so it prints an empty line after it.
                    throw Fail("-6 used before -f\n", token.Column, "-6 after -f MARK");
                }

                _svcFamily = AddressFamily.InterNetworkV6;
                _netmask = 128;
                break;
            case "ops":
                SetOption(RuleOption.Ops, token);
                _onePacket = true;
                break;
            case "pe":
                SetOption(RuleOption.PersistenceEngine, token);
                _persistenceEngine = value.Length > 16 ? value[..16] : value;
                break;
            case "sched-flags":
                SetOption(RuleOption.SchedFlags, token);
                _schedFlags = arg;
                break;
            case "mcast-group":
                SetOption(RuleOption.McastGroup, token);
                ValidateMulticastGroup(value, column);
                break;
            case "mcast-port":
                SetOption(RuleOption.McastPort, token);
                ParseNumber(value, 1, 65535, "illegal mcast-port specified", column, "a port from 1 to 65535");
                break;
            case "mcast-ttl":
                SetOption(RuleOption.McastTtl, token);
                ParseNumber(value, 1, 255, "illegal mcast-ttl specified", column, "a TTL from 1 to 255");
                break;
            case "sync-maxlen":
                SetOption(RuleOption.SyncMaxLen, token);
                ParseNumber(value, 1, 65535 - 20 - 8, "illegal sync-maxlen specified", column, "a length from 1 to 65507");
                break;
            case "tun-info":
                SetOption(RuleOption.TunInfo, token);
                _listOptions |= ListOptions.TunnelInfo;
                break;
            case "tun-type":
                SetOption(RuleOption.TunType, token);
                _tunnelType = value switch
                {
                    "ipip" => TunnelType.IpIp,
                    "gue" => TunnelType.Gue,
                    "gre" => TunnelType.Gre,
                    _ => throw Fail("illegal tunnel type specified", column, "ipip, gue or gre"),
                };
                break;
            case "tun-port":
                SetOption(RuleOption.TunPort, token);
                _tunnelPort = (ushort)ParseNumber(value, 1, 65535, "illegal tunnel port specified", column, "a port from 1 to 65535");
                break;
            case "tun-nocsum":
                SetOption(RuleOption.TunNoCsum, token);
                break;
            case "tun-csum":
                SetOption(RuleOption.TunCsum, token);
                _tunnelChecksum |= TunnelChecksum.Checksum;
                break;
            case "tun-remcsum":
                SetOption(RuleOption.TunRemCsum, token);
                _tunnelChecksum |= TunnelChecksum.Remote;
                break;
            default:
                // A second command (or -h/-v after the command): ipvsadm's parse loop has no case for it.
                throw Fail($"invalid option `{token.Text}'", token.Column, "an option of the " + RuleOptionTable.CommandNameOrSelf(_command!.Value) + " command, not a second command");
        }
    }

    /// <summary>ipvsadm's <c>parse_service</c>: 0 on error, 1 for an address, 3 for an address and a port.</summary>
    private int ParseService(string text, ServiceProtocol protocol, out AddressFamily family, out NetworkAddress address, out ushort? port)
    {
        family = AddressFamily.Unspecified;
        address = default;
        port = null;
        if (text.Length == 0 || text.All(char.IsAsciiDigit))
        {
            return 0;
        }

        string host;
        string? portText = null;
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return 0;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!InetAddressParser.TryParseIPv6(host, out address))
            {
                return 0;
            }

            family = AddressFamily.InterNetworkV6;
        }
        else if (InetAddressParser.TryParseIPv6(text, out address))
        {
            // A bare IPv6 address cannot carry a port.
            family = AddressFamily.InterNetworkV6;
            return 1;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon >= 0 ? text[..colon] : text;
            portText = colon >= 0 ? text[(colon + 1)..] : null;

            // Host names (gethostbyname) are not resolved: rules must not depend on DNS.
            if (!InetAddressParser.TryParseInetAton(host, out var v4))
            {
                return 0;
            }

            address = NetworkAddress.FromIPv4(v4);
            family = AddressFamily.InterNetwork;
        }

        if (portText is null)
        {
            return 1;
        }

        if (InetAddressParser.TryParseDecimal(portText, 0, 65535, out var number))
        {
            port = (ushort)number;
        }
        else if (_names.TryGetPort(portText, protocol, out var named))
        {
            port = named;
        }
        else
        {
            return 0;
        }

        return 3;
    }

    private SchedulerFlags ParseSchedulerFlags(RuleToken token)
    {
        var scheduler = _scheduler.Length > 0 ? _scheduler : "wlc";
        var flags = SchedulerFlags.None;
        var column = token.Column;
        foreach (var flag in token.Text.Split(','))
        {
            if (flag.Length == 0)
            {
                // strtok skips empty fields.
                column++;
                continue;
            }

            (SchedulerFlags Bit, string? Needs) parsed = flag switch
            {
                "flag-1" => (SchedulerFlags.Flag1, null),
                "flag-2" => (SchedulerFlags.Flag2, null),
                "flag-3" => (SchedulerFlags.Flag3, null),
                "sh-fallback" => (SchedulerFlags.Flag1, "sh"),
                "sh-port" => (SchedulerFlags.Flag2, "sh"),
                "mh-fallback" => (SchedulerFlags.Flag1, "mh"),
                "mh-port" => (SchedulerFlags.Flag2, "mh"),
                _ => throw Fail($"invalid scheduler flag `{flag}'", column, "flag-1, flag-2, flag-3, sh-fallback, sh-port, mh-fallback or mh-port"),
            };
            if (parsed.Needs is { } needs && needs != scheduler)
            {
                throw Fail($"incompatible scheduler flag `{flag}'", column, $"{flag} only with -s {needs}");
            }

            flags |= parsed.Bit;
            column += flag.Length + 1;
        }

        return flags;
    }

    private void ParseSetTimeouts()
    {
        if (_leftovers.Count < 3)
        {
            throw Fail("--set option requires 3 timeout values", _commandColumn, "--set tcp tcpfin udp (seconds, 0 = unchanged)");
        }

        var values = new int[3];
        for (var i = 0; i < 3; i++)
        {
            var t = _leftovers[i];
            if (!InetAddressParser.TryParseDecimal(t.Text, 0, 2678400, out var v))
            {
                throw Fail($"invalid timeout value `{t.Text}' specified", t.Column, "a timeout from 0 to 2678400 seconds");
            }

            values[i] = (int)v;
        }

        _leftovers.RemoveRange(0, 3);
        _timeouts = (values[0], values[1], values[2]);
    }

    private void CheckLegality(RuleCommandKind command)
    {
        var commandName = RuleOptionTable.CommandName(command);
        RuleOption? firstExclusive = null;
        foreach (var option in Enum.GetValues<RuleOption>())
        {
            var legality = RuleOptionTable.Legality(command, option);
            var present = (_options & (1UL << (int)option)) != 0;
            var optionName = RuleOptionTable.OptionNames[(int)option];
            if (!present)
            {
                if (legality == '+')
                {
                    throw Fail($"You need to supply the '{optionName}' option for the '{commandName}' command", EndColumn, $"the {optionName} option");
                }

                continue;
            }

            if (legality == 'x')
            {
                throw Fail($"Illegal '{optionName}' option with the '{commandName}' command", _optionColumns[option], $"no {optionName} option with the {commandName} command");
            }

            if (legality == '1')
            {
                if (firstExclusive is { } first)
                {
                    var firstName = RuleOptionTable.OptionNames[(int)first];
                    throw Fail($"The option '{optionName}' conflicts with the '{firstName}' option in the '{commandName}' command", _optionColumns[option], $"only one of {firstName} and {optionName}");
                }

                firstExclusive = option;
            }
        }

        if (command is RuleCommandKind.AddService or RuleCommandKind.EditService)
        {
            if (_fwmark == 0 && _svcPort == 0 && !_persistent)
            {
                throw Fail("Zero port specified for non-persistent service", _optionColumns[RuleOption.ServiceAddress], "a port, or -p for an all-ports service");
            }

            if (_onePacket && _fwmark == 0 && _svcProtocol != ServiceProtocol.Udp)
            {
                throw Fail("One-Packet Scheduling is only for UDP virtual services", _optionColumns[RuleOption.Ops], "-o only with -u or -f services");
            }
        }

        if (command is RuleCommandKind.AddServer or RuleCommandKind.EditServer)
        {
            CheckServer();
        }

        if (command == RuleCommandKind.List)
        {
            var o = _listOptions;
            if (((o & (ListOptions.Connections | ListOptions.Timeouts | ListOptions.Daemons)) != 0
                    && (o & (ListOptions.Stats | ListOptions.Rate | ListOptions.Thresholds)) != 0)
                || ((o & (ListOptions.Timeouts | ListOptions.Daemons)) != 0 && (o & ListOptions.PersistentConnections) != 0))
            {
                throw Fail("options conflicts in the list command", _commandColumn, "-c, --timeout and --daemon without --stats, --rate, --thresholds or --persistent-conn");
            }
        }

        if (command == RuleCommandKind.Restore && _inRestore)
        {
            // ipvsadm refuses -R inside -R to avoid an endless loop.
            throw TryHelp(_commandColumn);
        }
    }

    private void CheckServer()
    {
        // Direct routing and tunnelling cannot change the port: the real server gets the service's port.
        if (_fwmark == 0 && _method is ForwardingMethod.Tunnel or ForwardingMethod.Route)
        {
            _destPort = _svcPort;
        }

        var serverColumn = _optionColumns[RuleOption.RealServer];
        if (_destFamily != _svcFamily && _method != ForwardingMethod.Tunnel)
        {
            throw Fail("Different address family is allowed only for tunneling servers", serverColumn, "a real server of the service's address family, or -i");
        }

        var tunnelOptions = new[] { RuleOption.TunType, RuleOption.TunPort, RuleOption.TunNoCsum, RuleOption.TunCsum, RuleOption.TunRemCsum };
        if (_method != ForwardingMethod.Tunnel && tunnelOptions.Any(Has))
        {
            throw Fail("Tunnel options conflict with forward method", _optionColumns[tunnelOptions.First(Has)], "tunnel options only with -i");
        }

        // tunnel_types_v_options: tun-port, nocsum, csum, remcsum per tunnel type.
        var (typeName, row) = _tunnelType switch
        {
            TunnelType.IpIp => ("ipip", "xxxx"),
            TunnelType.Gue => ("gue", "+111"),
            _ => ("gre", "x11x"),
        };
        RuleOption? first = null;
        RuleOption[] checkedOptions = [RuleOption.TunPort, RuleOption.TunNoCsum, RuleOption.TunCsum, RuleOption.TunRemCsum];
        for (var j = 0; j < checkedOptions.Length; j++)
        {
            var option = checkedOptions[j];
            var name = RuleOptionTable.OptionNames[(int)option];
            if (!Has(option))
            {
                if (row[j] == '+')
                {
                    throw Fail($"You need to supply the '{name}' option for the '{typeName}' tunnel type", EndColumn, $"--{name} with --tun-type {typeName}");
                }

                continue;
            }

            if (row[j] == 'x')
            {
                throw Fail($"Illegal '{name}' option with the '{typeName}' tunnel type", _optionColumns[option], $"no --{name} with --tun-type {typeName}");
            }

            if (row[j] == '1')
            {
                if (first is { } f)
                {
                    throw Fail($"The option '{name}' conflicts with the '{RuleOptionTable.OptionNames[(int)f]}' option in the '{typeName}' tunnel type", _optionColumns[option], "one checksum option");
                }

                first = option;
            }
        }
    }

    private RuleCommand Build(RuleCommandKind command, SchedulerFlags flags)
    {
        VirtualServiceKey? key = null;
        if (Has(RuleOption.ServiceAddress))
        {
            key = _fwmark != 0
                ? VirtualServiceKey.ForFirewallMark(_fwmark, _svcFamily)
                : VirtualServiceKey.ForAddress(_svcProtocol, _svcAddress, _svcPort);
        }

        VirtualServiceConfig? service = null;
        if (command is RuleCommandKind.AddService or RuleCommandKind.EditService)
        {
            service = new VirtualServiceConfig
            {
                Key = key!.Value,
                Scheduler = _scheduler.Length > 0 ? _scheduler : "wlc",
                SchedulerFlags = flags,
                PersistenceTimeout = _persistent ? TimeSpan.FromSeconds(_persistenceTimeout) : null,
                PersistencePrefixLength = NetmaskToPrefix(),
                PersistenceEngine = string.IsNullOrEmpty(_persistenceEngine) ? null : _persistenceEngine,
                OnePacket = _onePacket,
            };
        }

        RealServerConfig? server = null;
        if (command is RuleCommandKind.AddServer or RuleCommandKind.EditServer or RuleCommandKind.DeleteServer)
        {
            server = new RealServerConfig
            {
                Address = _destAddress,
                Port = _destPort,
                Method = _method,
                Weight = _weight,
                UpperThreshold = _upperThreshold,
                LowerThreshold = _lowerThreshold,
                TunnelType = _method == ForwardingMethod.Tunnel ? _tunnelType : TunnelType.IpIp,
                TunnelPort = _method == ForwardingMethod.Tunnel ? _tunnelPort : (ushort)0,
                TunnelChecksum = _method == ForwardingMethod.Tunnel ? _tunnelChecksum : TunnelChecksum.None,
            };
        }

        return new RuleCommand
        {
            Kind = command,
            Line = _line,
            Service = key,
            ServiceConfig = service,
            Server = server,
            ListOptions = _listOptions,
            Timeouts = _timeouts,
            DaemonState = _daemonState,
        };
    }

    private int? NetmaskToPrefix()
    {
        if (_svcFamily == AddressFamily.InterNetworkV6)
        {
            if (_netmask is < 1 or > 128)
            {
                throw Fail("illegal ipv6 netmask specified", _netmaskColumn, "an IPv6 prefix length from 1 to 128 given after the service");
            }

            return _netmask == 128 ? null : (int)_netmask;
        }

        if (_netmask == HostMask)
        {
            return null;
        }

        // The model keeps a prefix length; IPVS would also take a non-contiguous IPv4 mask, which we refuse.
        var prefix = System.Numerics.BitOperations.LeadingZeroCount(~_netmask);
        if (prefix < 32 && (_netmask << prefix) != 0)
        {
            throw Fail("illegal virtual server persistent mask specified", _netmaskColumn, "a contiguous netmask such as 255.255.255.0");
        }

        return prefix;
    }

    private void ValidateMulticastGroup(string value, int column)
    {
        if (value.Contains(':', StringComparison.Ordinal))
        {
            if (!InetAddressParser.TryParseIPv6(value, out var v6) || (v6.Value >> 120) != 0xFF)
            {
                throw Fail($"invalid IPv6 mcast-group `{value}'", column, "an IPv6 multicast address (ff00::/8)");
            }
        }
        else if (!NetworkAddress.TryParse(value, out var v4) || (v4.IPv4Value >> 28) != 0xE)
        {
            throw Fail($"invalid IPv4 mcast-group `{value}'", column, "an IPv4 multicast address (224.0.0.0/4)");
        }
    }

    private long ParseNumber(string value, long min, long max, string message, int column, string expected)
        => InetAddressParser.TryParseDecimal(value, min, max, out var number) ? number : throw Fail(message, column, expected);

    private void SetOption(RuleOption option, RuleToken token)
    {
        var bit = 1UL << (int)option;
        if ((_options & bit) != 0)
        {
            throw Fail($"multiple '{RuleOptionTable.OptionNames[(int)option]}' options specified", token.Column, $"one {RuleOptionTable.OptionNames[(int)option]} option");
        }

        _options |= bit;
        _optionColumns[option] = token.Column;
    }

    private bool Has(RuleOption option) => (_options & (1UL << (int)option)) != 0;

    private int EndColumn => _tokens.Count == 0 ? 1 : _tokens[^1].Column + _tokens[^1].Text.Length;

    private RuleParseException Fail(string message, int column, string expected)
        => new(message, _line, column, expected, exitCode: 2);

    private RuleParseException PoptError(RuleToken token, string error)
        => new($"{token.Text}: {error}", _line, token.Column, "a known option with its argument", exitCode: 255);

    private RuleParseException TryHelp(int column)
        => new($"Try `{_program} -h' or '{_program} --help' for more information.", _line, column, "a command first: -A, -E, -D, -a, -e, -d, -C, -R, -S, -L, -Z, --set, -h or -v", exitCode: 255, showTryHelp: true);
}
