using System.Collections.Concurrent;
using Tmds.DBus.Protocol;

namespace LoadBalancing.Agent.Systemd;

/// <summary>
/// The calls the agent makes on <c>org.freedesktop.systemd1.Manager</c> over the system bus. Every job is waited for
/// through <c>JobRemoved</c>, subscribed before the first call: a mount job can end (≈ 20 ms) before the reply with its
/// path is processed, so results are kept by job path whichever arrives first.
/// </summary>
internal sealed partial class SystemdManager : IAsyncDisposable
{
    private const string Service = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string ManagerInterface = "org.freedesktop.systemd1.Manager";

    private readonly DBusConnection _connection;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _jobs = new(StringComparer.Ordinal);

    private SystemdManager(DBusConnection connection) => _connection = connection;

    public static async Task<SystemdManager> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        var connection = new DBusConnection(address);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            var manager = new SystemdManager(connection);
            await connection.AddMatchAsync(
                new MatchRule { Type = MessageType.Signal, Sender = Service, Path = ManagerPath, Interface = ManagerInterface, Member = "JobRemoved" },
                static (Message m, object? _) =>
                {
                    var reader = m.GetBodyReader();
                    _ = reader.ReadUInt32();
                    var job = reader.ReadObjectPathAsString();
                    _ = reader.ReadString();
                    return (Job: job, Result: reader.ReadString());
                },
                (Notification<(string Job, string Result)> n) =>
                {
                    if (n.HasValue)
                    {
                        manager.Job(n.Value.Job).TrySetResult(n.Value.Result);
                    }
                },
                emitOnCapturedContext: false).ConfigureAwait(false);

            // Without Subscribe, systemd only sends JobRemoved to clients that own the job; keep it explicit.
            await manager.CallAsync("Subscribe", "", static (ref MessageWriter _) => { }).ConfigureAwait(false);
            return manager;
        }
        catch (Exception ex) when (ex is DBusConnectFailedException or DBusConnectionException or IOException or System.Net.Sockets.SocketException)
        {
            connection.Dispose();
            throw new AgentException($"cannot reach systemd on the system bus at {address}: {ex.Message}");
        }
    }

    /// <summary>Starts a transient mount unit and waits for its job; returns the job result (<c>done</c>, <c>failed</c>…).</summary>
    public Task<string> StartTransientMountAsync(MountSpec spec, CancellationToken cancellationToken)
        => RunJobAsync(() => BuildStartTransient(spec), spec.Unit, "StartTransientUnit", cancellationToken);

    public Task<string> StartUnitAsync(string unit, CancellationToken cancellationToken)
        => RunJobAsync(() => BuildUnitModeCall("StartUnit", unit), unit, "StartUnit", cancellationToken);

    public Task<string> StopUnitAsync(string unit, CancellationToken cancellationToken)
        => RunJobAsync(() => BuildUnitModeCall("StopUnit", unit), unit, "StopUnit", cancellationToken);

    public async Task ReloadAsync()
        => await CallAsync("Reload", "", static (ref MessageWriter _) => { }).ConfigureAwait(false);

    public async Task ResetFailedUnitAsync(string unit)
    {
        try
        {
            await CallAsync("ResetFailedUnit", "s", (ref MessageWriter w) => w.WriteString(unit)).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.systemd1.NoSuchUnit")
        {
        }
    }

    public async Task EnableUnitFilesAsync(string unit, bool runtime)
        => await CallAsync("EnableUnitFiles", "asbb", (ref MessageWriter w) =>
        {
            w.WriteArray(new[] { unit });
            w.WriteBool(runtime);
            w.WriteBool(true);
        }).ConfigureAwait(false);

    public async Task DisableUnitFilesAsync(string unit, bool runtime)
        => await CallAsync("DisableUnitFiles", "asb", (ref MessageWriter w) =>
        {
            w.WriteArray(new[] { unit });
            w.WriteBool(runtime);
        }).ConfigureAwait(false);

    /// <summary>The unit's state; <see cref="UnitStatus.NotLoaded"/> when systemd has no such unit loaded.</summary>
    public async Task<UnitStatus> GetUnitStatusAsync(string unit)
    {
        string path;
        try
        {
            path = await _connection.CallMethodAsync(
                Build(ManagerPath, ManagerInterface, "GetUnit", "s", (ref MessageWriter w) => w.WriteString(unit)),
                static (Message m, object? _) => m.GetBodyReader().ReadObjectPathAsString()).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.systemd1.NoSuchUnit")
        {
            return UnitStatus.NotLoaded;
        }

        var load = (await GetPropertyAsync(path, "org.freedesktop.systemd1.Unit", "LoadState").ConfigureAwait(false)).GetString();
        var active = (await GetPropertyAsync(path, "org.freedesktop.systemd1.Unit", "ActiveState").ConfigureAwait(false)).GetString();
        var sub = (await GetPropertyAsync(path, "org.freedesktop.systemd1.Unit", "SubState").ConfigureAwait(false)).GetString();
        string result = "";
        int? mountStatus = null;
        if (unit.EndsWith(".mount", StringComparison.Ordinal) && load == "loaded")
        {
            result = (await GetPropertyAsync(path, "org.freedesktop.systemd1.Mount", "Result").ConfigureAwait(false)).GetString();

            // ExecMount is a(sasbttttuii): path, argv, ignore, 4 timestamps, pid, code, status (last run's exit status).
            var exec = await GetPropertyAsync(path, "org.freedesktop.systemd1.Mount", "ExecMount").ConfigureAwait(false);
            if (exec.Count > 0)
            {
                var entry = exec.GetItem(exec.Count - 1);
                if (entry.Count >= 10 && entry.GetItem(7).GetUInt32() != 0)
                {
                    mountStatus = entry.GetItem(9).GetInt32();
                }
            }
        }

        return new UnitStatus(load, active, sub, result, mountStatus);
    }

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> RunJobAsync(Func<MessageBuffer> build, string unit, string method, CancellationToken cancellationToken)
    {
        string job;
        try
        {
            job = await _connection.CallMethodAsync(build(), static (Message m, object? _) => m.GetBodyReader().ReadObjectPathAsString()).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException ex)
        {
            throw new AgentException($"systemd refused {method} for {unit}: {ex.ErrorName}: {ex.ErrorMessage}");
        }

        try
        {
            return await Job(job).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _jobs.TryRemove(job, out _);
        }
    }

    private TaskCompletionSource<string> Job(string path)
        => _jobs.GetOrAdd(path, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task<VariantValue> GetPropertyAsync(string path, string iface, string property)
        => await _connection.CallMethodAsync(
            Build(path, "org.freedesktop.DBus.Properties", "Get", "ss", (ref MessageWriter w) =>
            {
                w.WriteString(iface);
                w.WriteString(property);
            }),
            static (Message m, object? _) => m.GetBodyReader().ReadVariantValue()).ConfigureAwait(false);

    private async Task CallAsync(string method, string signature, WriterAction body)
        => await _connection.CallMethodAsync(Build(ManagerPath, ManagerInterface, method, signature, body)).ConfigureAwait(false);
}
