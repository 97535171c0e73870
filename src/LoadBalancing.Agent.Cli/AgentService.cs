using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Agent.Cli;

/// <summary>
/// <c>lbagent run</c>: applies, then re-plans every <c>DriftInterval</c> and re-applies what drifted (a VIP someone
/// removed, a sysctl reset, a mount unit stopped); pings the systemd watchdog from that loop; reverts on stop.
/// </summary>
internal sealed partial class AgentService(RealServerAgent agent, ISystemdNotifier notifier, IHostApplicationLifetime lifetime, ILogger<AgentService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = agent.Options.DriftInterval;

        // WATCHDOG_USEC is set by systemd when WatchdogSec= is; ping at least twice per period.
        if (ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) && usec > 0)
        {
            var half = TimeSpan.FromMicroseconds(usec / 2.0);
            interval = half < interval ? half : interval;
        }

        var first = true;
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var plan = first ? null : await agent.PlanAsync(stoppingToken).ConfigureAwait(false);
                if (plan is { IsEmpty: false })
                {
                    foreach (var change in plan.Changes)
                    {
                        Log.Drift(logger, change.ToString());
                    }
                }

                if (first || plan is { IsEmpty: false })
                {
                    var applied = await agent.ApplyAsync(stoppingToken).ConfigureAwait(false);
                    Log.Applied(logger, applied.Changes.Count);
                }

                first = false;
                if (notifier.IsEnabled)
                {
                    notifier.Notify(new ServiceState("WATCHDOG=1"));
                }
            }
            catch (AgentException ex)
            {
                Log.Failed(logger, ex.Message);
                if (first)
                {
                    // Nothing to keep true if the first apply failed: stop with a non-zero status so systemd sees it.
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!agent.Options.RevertOnStop)
        {
            return;
        }

        try
        {
            var done = await agent.RevertAsync(cancellationToken).ConfigureAwait(false);
            Log.Reverted(logger, done.Count);
        }
        catch (AgentException ex)
        {
            Log.Failed(logger, ex.Message);
            Environment.ExitCode = 1;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "applied {Count} change(s)")]
        public static partial void Applied(ILogger logger, int count);

        [LoggerMessage(2, LogLevel.Warning, "drift: {Change}")]
        public static partial void Drift(ILogger logger, string change);

        [LoggerMessage(3, LogLevel.Error, "{Message}")]
        public static partial void Failed(ILogger logger, string message);

        [LoggerMessage(4, LogLevel.Information, "reverted {Count} change(s)")]
        public static partial void Reverted(ILogger logger, int count);
    }
}
