using System.Runtime.InteropServices;
using LoadBalancing.Director.Discovery;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Configuration;

/// <summary>
/// Runs the director's configuration sources: loads the rules file at start, reloads it on SIGHUP and on file
/// change (debounced), and feeds every discovery provider's snapshots into the <see cref="DirectorTable"/>.
/// </summary>
internal sealed partial class DirectorHostedService : IHostedService, IDisposable
{
    private readonly DirectorTable _table;
    private readonly IEnumerable<IDiscoveryProvider> _providers;
    private readonly DirectorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DirectorHostedService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private PosixSignalRegistration? _sighup;
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;

    public DirectorHostedService(
        DirectorTable table,
        Metrics.DirectorMetrics metrics,
        IEnumerable<IDiscoveryProvider> providers,
        IOptions<DirectorOptions> options,
        TimeProvider time,
        ILogger<DirectorHostedService> logger)
    {
        // The instruments exist from the start; nothing else needs the metrics object.
        _ = metrics;
        _table = table;
        _providers = providers;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _table.Initialize();
        foreach (var provider in _providers)
        {
            _loops.Add(Task.Run(() => WatchProviderAsync(provider, _stopping.Token), CancellationToken.None));
        }

        if (_table.RulesFilePath is { } path)
        {
            if (_options.ReloadOnSighup && !OperatingSystem.IsWindows())
            {
                _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
                {
                    // Handled: SIGHUP must not terminate the process as its default action would.
                    context.Cancel = true;
                    _table.ReloadFile("SIGHUP");
                });
            }

            if (_options.WatchRulesFile)
            {
                _debounce = _time.CreateTimer(_ => _table.ReloadFile("file changed"), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                var directory = Path.GetDirectoryName(path)!;
                Directory.CreateDirectory(directory);

                // Watch the directory, not the file: writers (lbadm, editors) replace it by rename.
                _watcher = new FileSystemWatcher(directory, Path.GetFileName(path))
                {
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
                };
                _watcher.Changed += OnFileEvent;
                _watcher.Created += OnFileEvent;
                _watcher.Renamed += OnFileEvent;
                _watcher.Deleted += OnFileEvent;
                _watcher.EnableRaisingEvents = true;
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sighup?.Dispose();
        _watcher?.Dispose();
        _debounce?.Dispose();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _watcher?.Dispose();
        _debounce?.Dispose();
        _stopping.Dispose();
    }

    // Every event restarts the timer: the reload runs once the file has been quiet for ReloadDebounce.
    private void OnFileEvent(object sender, FileSystemEventArgs e) => _debounce?.Change(_options.ReloadDebounce, Timeout.InfiniteTimeSpan);

    private async Task WatchProviderAsync(IDiscoveryProvider provider, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in provider.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                _table.SetDiscovered(provider.Name, snapshot.Services);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failing provider must not take the director down; its last snapshot stays.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderFailed(_logger, provider.Name, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Discovery provider {Provider} failed; its last snapshot stays")]
        public static partial void ProviderFailed(ILogger logger, string provider, Exception exception);
    }
}
