namespace LoadBalancing.Rules;

/// <summary>The option and command names ipvsadm prints in its messages, and its command × option legality table.</summary>
internal static class RuleOptionTable
{
    public static readonly string[] OptionNames =
    [
        "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
        "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
        "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
        "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
        "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
    ];

    // One row per command, one character per option in RuleOption order:
    // '+' required, 'x' illegal, '1' at most one of the '1' options, ' ' optional (lvs-reference.md §1.5).
    private static readonly Dictionary<RuleCommandKind, (string Name, string Row)> Rows = new()
    {
        //                                         n c s s p M r f w x y m t d s r t p s s e o p b g p t s t t t n c r
        [RuleCommandKind.AddService] = ("add-service", "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx"),
        [RuleCommandKind.EditService] = ("edit-service", "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx"),
        [RuleCommandKind.DeleteService] = ("delete-service", "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.Clear] = ("flush", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.List] = ("list", " 11xxxxxxxxx11       xxxxxxx xxxxx"),
        [RuleCommandKind.AddServer] = ("add-server", "xx+xxx+    xxxxxxxxxxxxxxxxxx     "),
        [RuleCommandKind.DeleteServer] = ("delete-server", "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.EditServer] = ("edit-server", "xx+xxx+    xxxxxxxxxxxxxxxxxx     "),
        [RuleCommandKind.SetTimeouts] = ("set", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.StartDaemon] = ("start-daemon", "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx"),
        [RuleCommandKind.StopDaemon] = ("stop-daemon", "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx"),
        [RuleCommandKind.Restore] = ("restore", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.Save] = ("save", " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        [RuleCommandKind.Zero] = ("zero", "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    };

    public static string CommandName(RuleCommandKind kind) => Rows[kind].Name;

    public static string CommandNameOrSelf(RuleCommandKind kind) => Rows.TryGetValue(kind, out var row) ? row.Name : kind is RuleCommandKind.Help ? "help" : "version";

    public static char Legality(RuleCommandKind kind, RuleOption option) => Rows[kind].Row[(int)option];
}
