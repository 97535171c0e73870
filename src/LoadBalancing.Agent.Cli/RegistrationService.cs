using LoadBalancing.Agent.Registration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Agent.Cli;

/// <summary>
/// <c>lbagent run</c>'s registration: keeps this server's instances registered (Consul or the director's registry) and
/// deregisters them on a clean stop. Added after <see cref="AgentService"/>, so it stops first: the director stops
/// sending traffic before the VIPs are reverted.
/// </summary>
internal sealed partial class RegistrationService(RealServerAgent agent, TimeProvider time, ILogger<RegistrationService> logger) : BackgroundService
{
    private IServiceRegistry? _registry;
    private ServiceRegistrar? _registrar;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            _registry = ServiceRegistryFactory.Create(agent.Options.Registration, Environment.GetEnvironmentVariable, time, logger);
        }
        catch (AgentException e)
        {
            Log.Unavailable(logger, e.Message);
            return;
        }

        _registrar = new ServiceRegistrar(_registry, AgentRegistration.FromOptions(agent.Options), time, logger);
        Log.Starting(logger, _registry.Description, agent.Options.Registration.Services.Count, _registrar.Interval);
        try
        {
            await _registrar.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_registrar is not null)
        {
            await _registrar.DeregisterAllAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        _registry?.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "registering {Count} instance(s) in {Registry}, heartbeat every {Interval}")]
        public static partial void Starting(ILogger logger, string registry, int count, TimeSpan interval);

        [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "registration is off: {Message}")]
        public static partial void Unavailable(ILogger logger, string message);
    }
}
