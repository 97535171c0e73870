namespace LoadBalancing.Model;

/// <summary>Scheduler flags (<c>-b</c>). Values are IPVS's <c>IP_VS_SVC_F_SCHED*</c> bits.</summary>
[Flags]
#pragma warning disable CA1711 // The name mirrors ipvsadm's "sched-flags".
public enum SchedulerFlags
#pragma warning restore CA1711
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary><c>flag-1</c>; for sh and mh: <c>sh-fallback</c> / <c>mh-fallback</c>.</summary>
    Flag1 = 0x08,

    /// <summary><c>flag-2</c>; for sh and mh: <c>sh-port</c> / <c>mh-port</c>.</summary>
    Flag2 = 0x10,

    /// <summary><c>flag-3</c>; unused by the stock schedulers.</summary>
    Flag3 = 0x20,

    /// <summary>Alias of <see cref="Flag1"/>: probe other buckets when the hashed server is unavailable.</summary>
    Fallback = Flag1,

    /// <summary>Alias of <see cref="Flag2"/>: hash the client's source port too.</summary>
    Port = Flag2,
}
