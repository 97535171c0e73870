using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Director.Host;

/// <summary>
/// Warns, once per entry while it lasts, about a <c>Director:Health:VirtualServices</c> entry whose service is not in
/// the service table after a change: its quorum and sorry server apply to nothing until the service appears.
/// </summary>
internal sealed partial class QuorumSettingsWatcher(ServiceTable table, ILogger<QuorumSettingsWatcher> logger, IReadOnlyDictionary<VirtualServiceKey, string> settings) : IHostedService
{
    private readonly HashSet<VirtualServiceKey> _warned = [];
    private readonly Lock _lock = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        table.Changed += OnChanged;
        if (!table.Services.IsEmpty)
        {
            Check();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        table.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(object? sender, EventArgs e) => Check();

    private void Check()
    {
        lock (_lock)
        {
            foreach (var (key, setting) in settings)
            {
                if (table.TryGetService(in key, out _))
                {
                    _warned.Remove(key); // warn again should it go missing later
                }
                else if (_warned.Add(key))
                {
                    Log.NoSuchService(logger, setting);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "{Setting} names no virtual service in the table (yet): its quorum, hysteresis and sorry server apply only once the service exists")]
        public static partial void NoSuchService(ILogger logger, string setting);
    }
}
