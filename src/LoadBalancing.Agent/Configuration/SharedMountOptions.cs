namespace LoadBalancing.Agent.Configuration;

/// <summary>Shared storage mounted through a systemd mount unit, with fstab-style options.</summary>
public sealed class SharedMountOptions
{
    /// <summary>Gets or sets the file system type; <c>nfs</c> by default (<c>nfs4</c>, <c>tmpfs</c>… also work).</summary>
    public string Type { get; set; } = "nfs";

    /// <summary>Gets or sets the NFS server (host name or address); required for <c>nfs</c>/<c>nfs4</c>.</summary>
    public string? Server { get; set; }

    /// <summary>Gets or sets the exported path on the server (for NFS), or the device for other types (e.g. <c>tmpfs</c>).</summary>
    public string Export { get; set; } = "";

    /// <summary>Gets or sets the absolute mount point.</summary>
    public string MountPoint { get; set; } = "";

    /// <summary>Gets or sets the options as in fstab, comma separated: <c>rw|ro</c>, <c>nfsvers=4.1</c>, <c>soft|hard</c>, <c>timeo=600</c>, <c>_netdev</c>…</summary>
    public string Options { get; set; } = "";

    /// <summary>Gets or sets the unit's life span; <see cref="MountPersistence.Transient"/> by default.</summary>
    public MountPersistence Persistence { get; set; } = MountPersistence.Transient;

    /// <summary>Gets or sets a value indicating whether the export is checked over the MOUNT protocol before mounting (NFS only); true by default.</summary>
    public bool CheckExport { get; set; } = true;

    /// <summary>Gets or sets the server's portmapper port for the export check; 111 by default.</summary>
    public int PortmapperPort { get; set; } = 111;
}
