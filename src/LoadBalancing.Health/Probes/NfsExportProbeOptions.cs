namespace LoadBalancing.Health.Probes;

/// <summary>Options of the NFS export probe: is <see cref="ExportPath"/> in the server's MOUNT export list (<c>showmount -e</c>)?</summary>
public sealed record NfsExportProbeOptions
{
    /// <summary>Gets the export that must be listed, e.g. <c>/srv/share</c>.</summary>
    public required string ExportPath { get; init; }

    /// <summary>Gets the portmapper (rpcbind) port; 111 by default.</summary>
    public ushort PortmapperPort { get; init; } = 111;

    /// <summary>Gets the MOUNT (mountd) port; 0 by default, which asks the portmapper.</summary>
    public ushort MountPort { get; init; }

    /// <summary>Gets the time allowed for the whole exchange; 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
