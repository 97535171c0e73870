namespace LoadBalancing.Rules;

/// <summary>The command of one ipvsadm invocation or <c>-R</c> line.</summary>
public enum RuleCommandKind
{
    /// <summary><c>-A</c>, <c>--add-service</c>.</summary>
    AddService,

    /// <summary><c>-E</c>, <c>--edit-service</c>: replaces the whole service record (unspecified options revert to defaults).</summary>
    EditService,

    /// <summary><c>-D</c>, <c>--delete-service</c>.</summary>
    DeleteService,

    /// <summary><c>-C</c>, <c>--clear</c>.</summary>
    Clear,

    /// <summary><c>-L</c>/<c>-l</c>, <c>--list</c>.</summary>
    List,

    /// <summary><c>-a</c>, <c>--add-server</c>.</summary>
    AddServer,

    /// <summary><c>-d</c>, <c>--delete-server</c>.</summary>
    DeleteServer,

    /// <summary><c>-e</c>, <c>--edit-server</c>: replaces the whole server record (unspecified options revert to defaults).</summary>
    EditServer,

    /// <summary><c>--set tcp tcpfin udp</c>.</summary>
    SetTimeouts,

    /// <summary><c>--start-daemon master|backup</c>.</summary>
    StartDaemon,

    /// <summary><c>--stop-daemon master|backup</c>.</summary>
    StopDaemon,

    /// <summary><c>-R</c>, <c>--restore</c>.</summary>
    Restore,

    /// <summary><c>-S</c>, <c>--save</c>.</summary>
    Save,

    /// <summary><c>-Z</c>, <c>--zero</c>.</summary>
    Zero,

    /// <summary><c>-h</c>, <c>--help</c>.</summary>
    Help,

    /// <summary><c>-v</c>, <c>--version</c>.</summary>
    Version,
}
