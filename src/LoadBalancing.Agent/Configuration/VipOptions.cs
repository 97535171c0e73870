namespace LoadBalancing.Agent.Configuration;

/// <summary>A virtual address this real server answers for.</summary>
public sealed class VipOptions
{
    /// <summary>Gets or sets the VIP, IPv4 or IPv6, without a prefix length (it is always /32 or /128).</summary>
    public string Address { get; set; } = "";

    /// <summary>Gets or sets how the director forwards to this server; <see cref="ForwardingMethod.Dr"/> by default.</summary>
    public ForwardingMethod Method { get; set; } = ForwardingMethod.Dr;
}
