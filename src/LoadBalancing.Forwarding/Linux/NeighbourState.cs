namespace LoadBalancing.Forwarding.Linux;

/// <summary>Neighbour entry states (<c>NUD_*</c>, linux/neighbour.h).</summary>
[Flags]
internal enum NeighbourState : ushort
{
    None = 0,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    NoArp = 0x40,
    Permanent = 0x80,

    /// <summary>States whose link-layer address may be used (<c>NUD_VALID</c> minus NOARP, which has none on Ethernet).</summary>
    Valid = Reachable | Stale | Delay | Probe | Permanent,

    /// <summary>States that need no probe from us: confirmed recently or static.</summary>
    Fresh = Reachable | Permanent | NoArp,
}
