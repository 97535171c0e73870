using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace LoadBalancing.Director.Host;

/// <summary>
/// Sends <c>WATCHDOG=1</c> at half the interval systemd asks for (<c>WATCHDOG_USEC</c>, set by <c>WatchdogSec=</c>);
/// Microsoft.Extensions.Hosting.Systemd only sends READY and STOPPING. Does nothing outside systemd.
/// </summary>
internal sealed class SystemdWatchdog(ISystemdNotifier notifier) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!notifier.IsEnabled
            || !long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec)
            || usec <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMicroseconds(usec / 2.0));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            notifier.Notify(new ServiceState("WATCHDOG=1"));
        }
    }
}
