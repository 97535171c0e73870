using LoadBalancing.Health;
using LoadBalancing.Model;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Agent.Registration;

/// <summary>
/// Keeps this server's instances registered: registers each, then beats every third of the TTL (a TTL check's safe
/// fraction: two beats may be lost before it expires). A beat that finds the registration gone (registry restarted,
/// reaper) registers again at once; a failed beat (registry unreachable) is logged and retried on the next one, never
/// ending the loop. <see cref="DeregisterAllAsync"/> removes everything on a clean shutdown.
/// </summary>
internal sealed partial class ServiceRegistrar(IServiceRegistry registry, IReadOnlyList<AgentRegistration> registrations, TimeProvider time, ILogger logger)
{
    private readonly HashSet<string> _registered = new(StringComparer.Ordinal);

    /// <summary>Gets how often the loop beats.</summary>
    public TimeSpan Interval => registrations.Count == 0 ? TimeSpan.FromSeconds(5) : registrations.Min(r => r.Ttl) / 3;

    /// <summary>Gets the number of (re-)registrations made, for tests and logs.</summary>
    public int Registrations { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var probes = registrations.ToDictionary(r => r.Id, r => ServiceRegistryFactory.LocalProbe(registry is DirectorServiceRegistry ? r.HealthEndpoint : null, time), StringComparer.Ordinal);
        // Beats on a fixed schedule (start + k·interval), not "interval after the last beat": slow calls do not
        // stretch the gap towards the TTL. After a long stall (suspend) the schedule restarts instead of bursting.
        var next = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            await BeatOnceAsync(probes, cancellationToken).ConfigureAwait(false);
            next += Interval;
            var delay = next - time.GetUtcNow();
            if (delay < -Interval)
            {
                next = time.GetUtcNow();
                continue;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task DeregisterAllAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            try
            {
                var existed = await registry.DeregisterAsync(registration, cancellationToken).ConfigureAwait(false);
                Log.Deregistered(logger, registration.Id, registry.Description, existed);
            }
#pragma warning disable CA1031 // Shutdown goes on: the registry's DeregisterCriticalAfter removes what could not be removed here.
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Log.Failed(logger, "deregister", registration.Id, registry.Description, e.Message);
            }
        }

        _registered.Clear();
    }

    internal async Task BeatOnceAsync(IReadOnlyDictionary<string, IHealthProbe?> probes, CancellationToken cancellationToken)
    {
        foreach (var registration in registrations)
        {
            try
            {
                var (healthy, output) = await ProbeAsync(probes.GetValueOrDefault(registration.Id), registration, cancellationToken).ConfigureAwait(false);
                if (_registered.Contains(registration.Id))
                {
                    if (await registry.HeartbeatAsync(registration, healthy, output, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }

                    Log.Lost(logger, registration.Id, registry.Description);
                    _registered.Remove(registration.Id);
                }

                await registry.RegisterAsync(registration, cancellationToken).ConfigureAwait(false);
                _registered.Add(registration.Id);
                Registrations++;
                Log.Registered(logger, registration.Id, registry.Description, registration.Tags[0]);

                // A new TTL check starts critical: report at once instead of a third of a TTL later.
                await registry.HeartbeatAsync(registration, healthy, output, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // One failed beat must never end the loop (Steeltoe #343): the next beat retries.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.Failed(logger, _registered.Contains(registration.Id) ? "heartbeat" : "register", registration.Id, registry.Description, e.Message);
            }
        }
    }

    private static async Task<(bool Healthy, string Output)> ProbeAsync(IHealthProbe? probe, AgentRegistration registration, CancellationToken cancellationToken)
    {
        if (probe is null)
        {
            return (true, "lbagent is running");
        }

        var result = await probe.ProbeAsync(new ProbeTarget(NetworkAddress.Parse(registration.Address), (ushort)registration.HealthEndpoint!.Port), cancellationToken).ConfigureAwait(false);
        return (result.IsUp, result.IsUp ? $"{probe.Name} check passed" : $"{probe.Name} check failed: {result.Reason}");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "registered {Id} in {Registry} ({Tag})")]
        public static partial void Registered(ILogger logger, string id, string registry, string tag);

        [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "{Registry} lost the registration of {Id} (restarted or reaped); registering again")]
        public static partial void Lost(ILogger logger, string id, string registry);

        [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "{Action} of {Id} in {Registry} failed; retrying on the next beat: {Error}")]
        public static partial void Failed(ILogger logger, string action, string id, string registry, string error);

        [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "deregistered {Id} from {Registry} (was registered: {Existed})")]
        public static partial void Deregistered(ILogger logger, string id, string registry, bool existed);
    }
}
