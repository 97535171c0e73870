using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Client;

/// <summary>
/// What client-side balancers pick from: the virtual services of the app's <see cref="ServiceTable"/> (filled by the
/// director's discovery, a rules file, or the static services given to <c>AddStaticServices</c>), and where call
/// outcomes go (the registered <see cref="IPassiveHealthReporter"/>, usually the <see cref="OutlierDetector"/>).
/// </summary>
/// <remarks>
/// Real servers are picked with the virtual service's own scheduler and weights, so whatever changes the table's
/// weights (health checks, outlier ejections, <c>lbadm -e</c>) steers the clients too: a server at weight 0 gets no
/// new calls.
/// </remarks>
public sealed class ClientServices
{
    private readonly Lock _lock = new();
    private readonly ImmutableArray<VirtualServiceConfig> _static;
    private bool _staticApplied;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="table">The service table.</param>
    /// <param name="reporter">Where call outcomes go; <see langword="null"/> for nowhere.</param>
    /// <param name="staticServices">Services to add to the table if it lacks them (see <see cref="EnsureStaticServices"/>).</param>
    public ClientServices(ServiceTable table, IPassiveHealthReporter? reporter = null, IEnumerable<StaticServices>? staticServices = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        Table = table;
        Reporter = reporter;
        _static = [.. (staticServices ?? []).SelectMany(s => s.Config.Services)];
    }

    /// <summary>Gets the service table.</summary>
    public ServiceTable Table { get; }

    /// <summary>Gets where call outcomes go, or <see langword="null"/>.</summary>
    public IPassiveHealthReporter? Reporter { get; }

    /// <summary>
    /// Adds the static services to the table, once: each one whose key the table does not have yet is appended to the
    /// table's configuration, which is validated as a whole and applied. Called by the balancers before their first
    /// pick and by the hosted service at start, so a bad static service stops the start.
    /// </summary>
    /// <exception cref="ConfigValidationException">The table with the static services is invalid; nothing was changed.</exception>
    public void EnsureStaticServices()
    {
        if (_static.IsEmpty || Volatile.Read(ref _staticApplied))
        {
            return;
        }

        lock (_lock)
        {
            if (_staticApplied)
            {
                return;
            }

            var config = Table.Config;
            var missing = _static.Where(s => !Table.TryGetService(s.Key, out _)).ToArray();
            if (missing.Length > 0)
            {
                Table.Apply(config with { Services = config.Services.AddRange(missing) });
            }

            Volatile.Write(ref _staticApplied, true);
        }
    }

    /// <summary>Finds a virtual service, adding the static services first if not done yet.</summary>
    /// <param name="key">The service.</param>
    /// <param name="service">The service when found.</param>
    /// <returns>Whether it is in the table.</returns>
    public bool TryGetService(in VirtualServiceKey key, [NotNullWhen(true)] out VirtualServiceState? service)
    {
        EnsureStaticServices();
        return Table.TryGetService(key, out service);
    }
}
