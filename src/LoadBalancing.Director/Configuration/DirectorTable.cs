using System.Collections.Immutable;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Configuration;

/// <summary>
/// Owns the director's configuration layers and turns them into the one running table: the rules-file layer
/// (what operators change; saved to the file) and one layer per discovery provider, merged with the file first.
/// Every change computes the merged table, validates it as a whole and swaps it in with
/// <see cref="ServiceTable.Apply"/>; a change that fails anywhere leaves both the table and the file as they were.
/// </summary>
internal sealed partial class DirectorTable : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ServiceTable _table;
    private readonly SchedulerRegistry _schedulers;
    private readonly ILogger<DirectorTable> _logger;
    private readonly RulesFile? _file;
    private readonly Dictionary<string, ImmutableArray<VirtualServiceConfig>> _discovered = new(StringComparer.Ordinal);
    private readonly List<string> _providerOrder = [];
    private LoadBalancerConfig _fileConfig = LoadBalancerConfig.Empty;
    private string _fileText = RulesFile.Render(LoadBalancerConfig.Empty);
    private long _generation;

    public DirectorTable(ServiceTable table, SchedulerRegistry schedulers, IOptions<DirectorOptions> options, ILogger<DirectorTable> logger)
    {
        _table = table;
        _schedulers = schedulers;
        _logger = logger;
        if (options.Value.RulesFile is { Length: > 0 } path)
        {
            _file = new RulesFile(path);
        }

        _table.Changed += OnTableChanged;
    }

    /// <summary>Raised after every change of the running table (configuration, weights).</summary>
    public event EventHandler? Changed;

    /// <summary>Gets the rules file, if any.</summary>
    public string? RulesFilePath => _file?.Path;

    /// <summary>Gets a number that increases with every change of the running table.</summary>
    public ulong Generation => (ulong)Interlocked.Read(ref _generation);

    /// <summary>Gets the scheduler names the table accepts.</summary>
    public IReadOnlySet<string> SchedulerNames => _schedulers.Names;

    /// <summary>Gets the running table.</summary>
    public ServiceTable Table => _table;

    /// <summary>Gets the rules-file layer.</summary>
    public LoadBalancerConfig FileConfig
    {
        get
        {
            lock (_gate)
            {
                return _fileConfig;
            }
        }
    }

    /// <summary>Loads the rules file at start. Unlike a reload, a bad file stops the start: there is no old table to keep.</summary>
    /// <exception cref="InvalidOperationException">The file is not valid; the message names the file, line and column.</exception>
    public void Initialize()
    {
        lock (_gate)
        {
            if (_file is not null)
            {
                try
                {
                    _fileConfig = _file.Load(_schedulers.Names);
                }
                catch (Exception e) when (e is RuleParseException or RuleApplyException or ConfigValidationException or IOException)
                {
                    throw new InvalidOperationException($"Director:RulesFile {_file.Path}: {Describe(e)}", e);
                }

                _fileText = RulesFile.Render(_fileConfig);
            }

            var merged = Merge(_fileConfig);
            try
            {
                _table.Apply(merged);
            }
            catch (ConfigValidationException e)
            {
                throw new InvalidOperationException($"Director: the initial table is invalid: {e.Message}", e);
            }

            Log.Loaded(_logger, _file?.Path ?? "(none)", merged.Services.Length);
        }
    }

    /// <summary>Re-reads the rules file (SIGHUP, file change). A bad file is logged and the running table stays.</summary>
    /// <param name="reason">Why, for the log.</param>
    /// <returns>Whether a new table was applied.</returns>
    public bool ReloadFile(string reason)
    {
        if (_file is null)
        {
            return false;
        }

        lock (_gate)
        {
            LoadBalancerConfig next;
            try
            {
                next = _file.Load(_schedulers.Names);
                var text = RulesFile.Render(next);
                if (text == _fileText)
                {
                    Log.ReloadUnchanged(_logger, _file.Path, reason);
                    return false;
                }

                _table.Apply(Merge(next));
                _fileText = text;
            }
            catch (Exception e) when (e is RuleParseException or RuleApplyException or ConfigValidationException or IOException)
            {
                Log.ReloadRejected(_logger, _file.Path, reason, Describe(e));
                return false;
            }

            _fileConfig = next;
            Log.Reloaded(_logger, _file.Path, reason, next.Services.Length);
            return true;
        }
    }

    /// <summary>Replaces one discovery provider's services. An invalid merged table is logged and the running one stays.</summary>
    /// <param name="provider">The provider's name.</param>
    /// <param name="services">Its services.</param>
    /// <returns>Whether the new table was applied.</returns>
    public bool SetDiscovered(string provider, ImmutableArray<VirtualServiceConfig> services)
    {
        lock (_gate)
        {
            var hadPrevious = _discovered.TryGetValue(provider, out var previous);
            _discovered[provider] = services;
            if (!hadPrevious)
            {
                _providerOrder.Add(provider);
            }

            try
            {
                _table.Apply(Merge(_fileConfig));
            }
            catch (ConfigValidationException e)
            {
                if (hadPrevious)
                {
                    _discovered[provider] = previous;
                }
                else
                {
                    _discovered.Remove(provider);
                    _providerOrder.Remove(provider);
                }

                Log.DiscoveryRejected(_logger, provider, e.Message);
                return false;
            }

            Log.DiscoveryApplied(_logger, provider, services.Length);
            return true;
        }
    }

    /// <summary>
    /// An operator's change (control API): applied to the rules-file layer, validated merged, saved atomically,
    /// then swapped in. With a rules file, <paramref name="change"/> sees the file as it is on disk now (under its
    /// lock), so changes made with <c>lbadm --rules-file</c> meanwhile are not lost.
    /// </summary>
    /// <returns>The generation after the change.</returns>
    /// <exception cref="RuleApplyException">The change is refused (ipvsadm's message).</exception>
    /// <exception cref="ConfigValidationException">The resulting table is invalid.</exception>
    /// <exception cref="RuleParseException">The rules file on disk is not valid; fix it or reload first.</exception>
    public ulong Change(Func<LoadBalancerConfig, LoadBalancerConfig> change)
    {
        lock (_gate)
        {
            var names = _schedulers.Names;
            LoadBalancerConfig Checked(LoadBalancerConfig current)
            {
                var next = change(current);
                Merge(next).EnsureValid(names);
                return next;
            }

            var next = _file is null ? Checked(_fileConfig) : _file.Update(Checked, names);
            _table.Apply(Merge(next));
            _fileConfig = next;
            _fileText = RulesFile.Render(next);
            return Generation;
        }
    }

    /// <summary>Zeroes the counters of every service, or of one (<c>-Z</c>).</summary>
    /// <exception cref="RuleApplyException">The service does not exist.</exception>
    public ulong Zero(VirtualServiceKey? key)
    {
        if (key is not { } k)
        {
            _table.ZeroCounters();
            return Generation;
        }

        if (!_table.TryGetService(k, out var service))
        {
            throw new RuleApplyException("No such service", 1);
        }

        service.Statistics.Reset();
        foreach (var destination in service.Destinations)
        {
            destination.Statistics.Reset();
        }

        return Generation;
    }

    /// <summary>Snapshots the running table with its counters.</summary>
    public ListingSnapshot Snapshot() => ListingSnapshot.FromServiceTable(_table);

    public void Dispose() => _table.Changed -= OnTableChanged;

    private static string Describe(Exception e) => e switch
    {
        RuleParseException p => p.ToLocatedString(),
        RuleApplyException a => $"line {a.Line}: {a.Message}",
        _ => e.Message,
    };

    private LoadBalancerConfig Merge(LoadBalancerConfig file)
    {
        if (_providerOrder.Count == 0)
        {
            return file;
        }

        // The file wins over discovery, and earlier providers over later ones, key by key.
        var keys = file.Services.Select(s => s.Key).ToHashSet();
        var services = file.Services.ToBuilder();
        foreach (var provider in _providerOrder)
        {
            foreach (var service in _discovered[provider])
            {
                if (keys.Add(service.Key))
                {
                    services.Add(service);
                }
            }
        }

        return file with { Services = services.ToImmutable() };
    }

    private void OnTableChanged(object? sender, EventArgs e)
    {
        Interlocked.Increment(ref _generation);
        Changed?.Invoke(this, EventArgs.Empty);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Director table loaded from rules file {Path}: {Services} services")]
        public static partial void Loaded(ILogger logger, string path, int services);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Rules file {Path} reloaded ({Reason}): {Services} services")]
        public static partial void Reloaded(ILogger logger, string path, string reason, int services);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Rules file {Path} rejected ({Reason}); the running table stays: {Error}")]
        public static partial void ReloadRejected(ILogger logger, string path, string reason, string error);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Rules file {Path} unchanged ({Reason})")]
        public static partial void ReloadUnchanged(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Discovery provider {Provider} applied: {Services} services")]
        public static partial void DiscoveryApplied(ILogger logger, string provider, int services);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Discovery provider {Provider} snapshot rejected; the running table stays: {Error}")]
        public static partial void DiscoveryRejected(ILogger logger, string provider, string error);
    }
}
