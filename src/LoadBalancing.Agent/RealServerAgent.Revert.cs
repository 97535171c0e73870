using System.Net;
using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Network;
using LoadBalancing.Agent.State;
using LoadBalancing.Agent.Systemd;

namespace LoadBalancing.Agent;

/// <summary>Revert: undo exactly what the state file records, newest kind first, then remove the file.</summary>
internal sealed partial class RealServerAgent
{
    public async Task<IReadOnlyList<string>> RevertAsync(CancellationToken cancellationToken)
    {
        var state = _store.Load();
        if (state is null)
        {
            return [];
        }

        var done = new List<string>();
        if (state.Mounts.Count > 0)
        {
            await using var systemd = await SystemdManager.ConnectAsync(options.SystemdBus, cancellationToken).ConfigureAwait(false);
            foreach (var mount in Enumerable.Reverse(state.Mounts))
            {
                await UnmountAsync(systemd, mount, cancellationToken).ConfigureAwait(false);
                done.Add($"stop {mount.Unit}{(mount.UnitFile is null ? "" : $" and remove {mount.UnitFile}")}");
            }
        }

        if (state.Addresses.Count > 0)
        {
            using var netlink = RouteNetlink.Open();
            foreach (var address in Enumerable.Reverse(state.Addresses))
            {
                if (InterfaceIndex.Find(address.Interface) is not { } index)
                {
                    continue;
                }

                var errno = netlink.DeleteAddress(index, IPAddress.Parse(address.Address), address.PrefixLength);
                if (errno is not (0 or Errno.Eaddrnotavail or Errno.Enodev))
                {
                    throw new AgentException($"cannot remove {address.Address}/{address.PrefixLength} from {address.Interface}: {Errno.Describe(errno)}");
                }

                done.Add($"address del {address.Address}/{address.PrefixLength} dev {address.Interface}");
            }
        }

        foreach (var record in Enumerable.Reverse(state.Sysctls))
        {
            // An interface that went away took its settings with it.
            if (_sysctl.Exists(record.Name))
            {
                _sysctl.Write(record.Name, record.Previous);
                done.Add($"sysctl {record.Name.Replace('/', '.')} = {record.Previous}");
            }
        }

        _store.Delete();
        return done;
    }

    private async Task UnmountAsync(SystemdManager systemd, MountRecord mount, CancellationToken cancellationToken)
    {
        var status = await systemd.GetUnitStatusAsync(mount.Unit).ConfigureAwait(false);
        if (status.ActiveState is "active" or "activating" or "reloading")
        {
            var result = await systemd.StopUnitAsync(mount.Unit, cancellationToken).ConfigureAwait(false);
            if (result != "done")
            {
                var after = await systemd.GetUnitStatusAsync(mount.Unit).ConfigureAwait(false);
                throw new AgentException($"stopping {mount.Unit} failed: systemd job {result}, ActiveState={after.ActiveState} Result={after.Result}");
            }
        }

        if (mount.UnitFile is not null)
        {
            try
            {
                await systemd.DisableUnitFilesAsync(mount.Unit, runtime: mount.Persistence == MountPersistence.Runtime).ConfigureAwait(false);
            }
            catch (Tmds.DBus.Protocol.DBusErrorReplyException)
            {
                // Already disabled or the file is gone: nothing left to undo.
            }

            var path = Path.Combine(options.UnitRoot, mount.UnitFile);
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            await systemd.ReloadAsync().ConfigureAwait(false);
        }

        await systemd.ResetFailedUnitAsync(mount.Unit).ConfigureAwait(false);
    }
}
