namespace LoadBalancing.Agent.Network;

/// <summary>Readable text for the errno values the agent meets, with the fix where there is an obvious one.</summary>
internal static class Errno
{
    public const int Eperm = 1;
    public const int Enoent = 2;
    public const int Eacces = 13;
    public const int Eexist = 17;
    public const int Enodev = 19;
    public const int Eaddrnotavail = 99;

    public static string Describe(int errno) => errno switch
    {
        Eperm => "operation not permitted (EPERM): the agent needs CAP_NET_ADMIN",
        Eacces => "permission denied (EACCES): the agent needs CAP_NET_ADMIN",
        Eexist => "already exists (EEXIST)",
        Enodev => "no such device (ENODEV)",
        Eaddrnotavail => "address not present (EADDRNOTAVAIL)",
        93 => "protocol not supported (EPROTONOSUPPORT)",
        _ => $"errno {errno}",
    };
}
