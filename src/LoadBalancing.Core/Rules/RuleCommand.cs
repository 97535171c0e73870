using LoadBalancing.Model;

namespace LoadBalancing.Rules;

/// <summary>One parsed ipvsadm command line (a command-line invocation or one line of <c>-R</c> input).</summary>
public sealed record RuleCommand
{
    /// <summary>Gets the command.</summary>
    public required RuleCommandKind Kind { get; init; }

    /// <summary>Gets the 1-based line number in the input, or 1 for a command line.</summary>
    public int Line { get; init; } = 1;

    /// <summary>Gets the virtual service named with <c>-t</c>, <c>-u</c>, <c>--sctp-service</c> or <c>-f</c>, if any.</summary>
    public VirtualServiceKey? Service { get; init; }

    /// <summary>Gets the complete service record of <c>-A</c>/<c>-E</c> (without real servers), with ipvsadm's defaults filled in.</summary>
    public VirtualServiceConfig? ServiceConfig { get; init; }

    /// <summary>Gets the complete real-server record of <c>-a</c>/<c>-e</c>, or the address and port of <c>-d</c>.</summary>
    public RealServerConfig? Server { get; init; }

    /// <summary>Gets the listing options of <c>-L</c>/<c>-S</c>.</summary>
    public ListOptions ListOptions { get; init; }

    /// <summary>Gets the three <c>--set</c> timeouts in seconds (TCP, TCP FIN_WAIT, UDP); 0 leaves a value unchanged.</summary>
    public (int Tcp, int TcpFin, int Udp) Timeouts { get; init; }

    /// <summary>Gets <c>master</c> or <c>backup</c> for the daemon commands.</summary>
    public string? DaemonState { get; init; }

    /// <summary>Gets a value indicating whether the command changes the table (what a restore may contain).</summary>
    public bool IsTableChange => Kind is RuleCommandKind.AddService or RuleCommandKind.EditService
        or RuleCommandKind.DeleteService or RuleCommandKind.Clear or RuleCommandKind.AddServer
        or RuleCommandKind.EditServer or RuleCommandKind.DeleteServer or RuleCommandKind.SetTimeouts
        or RuleCommandKind.Zero;
}
