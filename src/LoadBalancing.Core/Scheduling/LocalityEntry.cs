using LoadBalancing.Model;

namespace LoadBalancing.Scheduling;

/// <summary>An entry of an lblc/lblcr table: a destination address and when it was last looked up.</summary>
internal abstract class LocalityEntry(NetworkAddress address, long lastUse)
{
    public NetworkAddress Address { get; } = address;

    /// <summary>Gets or sets the <see cref="TimeProvider.GetTimestamp"/> of the last lookup (<c>lastuse</c>).</summary>
    public long LastUse { get; set; } = lastUse;

    /// <summary>Gets or sets the next entry of the same hash bucket (the kernel's <c>hlist</c>).</summary>
    public LocalityEntry? Next { get; set; }
}
