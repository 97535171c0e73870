namespace LoadBalancing.Forwarding;

/// <summary>Marker type for the forwarding assembly (used to locate it, e.g. by hosts and tests).</summary>
public static class ForwardingAssembly
{
    /// <summary>Gets the assembly's informational name.</summary>
    public static string Name => typeof(ForwardingAssembly).Assembly.GetName().Name ?? "LoadBalancing.Forwarding";
}
