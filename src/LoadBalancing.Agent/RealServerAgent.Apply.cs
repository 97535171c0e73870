using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Network;
using LoadBalancing.Agent.Planning;
using LoadBalancing.Agent.State;
using LoadBalancing.Agent.Systemd;

namespace LoadBalancing.Agent;

/// <summary>Apply: record, then change.</summary>
internal sealed partial class RealServerAgent
{
    /// <summary>
    /// Makes the host match the configuration and returns the changes made (none when it already did). The state
    /// file is extended and written before the first change; a value already recorded by an earlier, interrupted
    /// apply keeps its original previous value, so revert after a crash still restores what was there before.
    /// </summary>
    public async Task<AgentPlan> ApplyAsync(CancellationToken cancellationToken)
    {
        var plan = await PlanAsync(cancellationToken).ConfigureAwait(false);
        if (plan.IsEmpty)
        {
            return plan;
        }

        var state = _store.Load() ?? new AgentState();
        foreach (var change in plan.Changes)
        {
            switch (change)
            {
                case SetSysctlChange s when !state.Sysctls.Any(r => r.Name == s.Name):
                    state.Sysctls.Add(new SysctlRecord(s.Name, s.Current));
                    break;
                case AddAddressChange a when !state.Addresses.Any(r => r.Interface == a.Interface && r.Address == a.Address.ToString()):
                    state.Addresses.Add(new AddressRecord(a.Interface, a.Address.ToString(), a.PrefixLength));
                    break;
                case MountChange m when !state.Mounts.Any(r => r.Unit == m.Spec.Unit):
                    state.Mounts.Add(new MountRecord(m.Spec.Unit, m.Persistence, m.UnitFile is null ? null : Path.GetRelativePath(options.UnitRoot, m.UnitFile)));
                    break;
            }
        }

        _store.Save(state);
        AfterStep?.Invoke(0);

        var step = 0;
        SystemdManager? systemd = null;
        RouteNetlink? netlink = null;
        try
        {
            foreach (var change in plan.Changes)
            {
                switch (change)
                {
                    case SetSysctlChange s:
                        _sysctl.Write(s.Name, s.Desired);
                        break;
                    case AddAddressChange a:
                        netlink ??= RouteNetlink.Open();
                        var errno = netlink.AddAddress(a.InterfaceIndex, a.Address, a.PrefixLength, a.Scope, a.Flags);
                        if (errno is not (0 or Errno.Eexist))
                        {
                            throw new AgentException($"cannot add {a.Address}/{a.PrefixLength} to {a.Interface}: {Errno.Describe(errno)}");
                        }

                        break;
                    case MountChange m:
                        systemd ??= await SystemdManager.ConnectAsync(options.SystemdBus, cancellationToken).ConfigureAwait(false);
                        await MountAsync(systemd, m, cancellationToken).ConfigureAwait(false);
                        break;
                }

                AfterStep?.Invoke(++step);
            }
        }
        finally
        {
            netlink?.Dispose();
            if (systemd is not null)
            {
                await systemd.DisposeAsync().ConfigureAwait(false);
            }
        }

        return plan;
    }

    private static async Task MountAsync(SystemdManager systemd, MountChange change, CancellationToken cancellationToken)
    {
        var spec = change.Spec;

        // A failed unit stays loaded: StartTransientUnit would answer UnitExists, StartUnit would keep old state.
        if (change.Current.LoadState != "not-found" || change.Current.IsFailed)
        {
            await systemd.ResetFailedUnitAsync(spec.Unit).ConfigureAwait(false);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // systemd gives up after TimeoutSec= (spec.Timeout) and reports it; the margin lets its answer arrive first.
        timeout.CancelAfter(spec.Timeout + TimeSpan.FromSeconds(10));
        string result;
        try
        {
            if (change.UnitFile is null)
            {
                result = await systemd.StartTransientMountAsync(spec, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                WriteUnitFile(change.UnitFile, MountUnitFile.Render(spec));
                await systemd.ReloadAsync().ConfigureAwait(false);
                await systemd.EnableUnitFilesAsync(spec.Unit, runtime: change.Persistence == MountPersistence.Runtime).ConfigureAwait(false);
                result = await systemd.StartUnitAsync(spec.Unit, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AgentException($"mounting {spec.What} on {spec.Where}: systemd reported no job result within {spec.Timeout + TimeSpan.FromSeconds(10)}");
        }

        if (result != "done")
        {
            var status = await systemd.GetUnitStatusAsync(spec.Unit).ConfigureAwait(false);
            throw new AgentException(DescribeFailure(spec, result, status));
        }
    }

    internal static string DescribeFailure(MountSpec spec, string jobResult, UnitStatus status)
    {
        var text = $"mounting {spec.What} on {spec.Where} failed: systemd job {jobResult}, {spec.Unit} ActiveState={status.ActiveState} SubState={status.SubState} Result={status.Result}";
        if (status.MountStatus is { } exit)
        {
            text += $", mount exited with status {exit} ({MountExitMeaning(exit)})";
        }

        if (spec.Type is "nfs" or "nfs4" && !KernelHasFileSystem(spec.Type))
        {
            text += $"; this kernel has no NFS client ('{spec.Type}' is not in /proc/filesystems)";
        }

        return text;
    }

    // mount(8), "RETURN CODES".
    private static string MountExitMeaning(int status) => status switch
    {
        1 => "incorrect invocation or permissions",
        2 => "system error",
        4 => "internal mount bug",
        8 => "user interrupt",
        16 => "problems writing or locking /etc/mtab",
        32 => "mount failure",
        64 => "some mount succeeded",
        _ => "unknown",
    };

    private static bool KernelHasFileSystem(string type)
    {
        try
        {
            return File.ReadLines("/proc/filesystems").Any(l => l.Split('\t', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() == type);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static void WriteUnitFile(string path, string text)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".lbagent-tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentException($"cannot write unit file {path}: {ex.Message}");
        }
    }
}
