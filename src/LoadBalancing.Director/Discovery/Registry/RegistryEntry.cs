namespace LoadBalancing.Director.Discovery.Registry;

/// <summary>One instance's state in the embedded registry. Mutated only under the registry's lock.</summary>
internal sealed class RegistryEntry(RegistryRegistration registration, DateTimeOffset now)
{
    public RegistryRegistration Registration { get; } = registration;

    public InstanceHealth Status { get; set; } = registration.InitialStatus;

    public string Output { get; set; } = "registered; no heartbeat yet";

    public DateTimeOffset TtlDeadline { get; set; } = now + registration.Ttl;

    public DateTimeOffset? LastHeartbeat { get; set; }

    public DateTimeOffset? CriticalSince { get; set; } = registration.InitialStatus >= InstanceHealth.Critical ? now : null;

    public string? MaintenanceReason { get; set; }

    public InstanceHealth EffectiveHealth => MaintenanceReason is not null ? InstanceHealth.Maintenance : Status;

    /// <summary>The next moment the entry changes by itself: its TTL expires, or (critical) it is removed.</summary>
    public DateTimeOffset NextDeadline => CriticalSince is { } since ? since + Registration.DeregisterCriticalAfter : TtlDeadline;

    public void SetStatus(InstanceHealth status, string output, DateTimeOffset now)
    {
        Status = status;
        Output = output;
        if (status >= InstanceHealth.Critical)
        {
            CriticalSince ??= now;
        }
        else
        {
            CriticalSince = null;
        }
    }
}
