using System.Net.Sockets;
using LoadBalancing.Health.Nfs;

namespace LoadBalancing.Health.Probes;

/// <summary>
/// Up when the server's MOUNT service lists the expected export. The target's port is not used: the
/// portmapper tells where mountd listens.
/// </summary>
internal sealed class NfsExportProbe(NfsExportProbeOptions options, TimeProvider timeProvider, Func<AddressFamily, Socket>? socketFactory = null) : IHealthProbe
{
    public string Name => "nfs";

    public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        using var deadline = new ProbeDeadline(options.Timeout, timeProvider, cancellationToken);
        try
        {
            var (exports, error) = await NfsMountClient.GetExportsAsync(target.Address.ToIPAddress(), options.PortmapperPort, options.MountPort, deadline.Token, socketFactory).ConfigureAwait(false);
            if (error is not null)
            {
                return ProbeResult.Down(error);
            }

            var wanted = Normalize(options.ExportPath);
            foreach (var export in exports)
            {
                if (string.Equals(Normalize(export.Path), wanted, StringComparison.Ordinal))
                {
                    return ProbeResult.Up();
                }
            }

            return ProbeResult.Down($"export {options.ExportPath} not listed ({exports.Length} exports)");
        }
        catch (OperationCanceledException) when (deadline.IsExpired)
        {
            return ProbeResult.Down("NFS MOUNT: timeout");
        }
    }

    // showmount prints paths as the server sends them; a trailing slash in the configuration should not matter.
    private static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
