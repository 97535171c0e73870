using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace LoadBalancing.Scheduling;

/// <summary>Resolves scheduler names to factories. When two factories share a name, the last registered wins.</summary>
public sealed class SchedulerRegistry
{
    private readonly FrozenDictionary<string, ISchedulerFactory> _factories;

    /// <summary>Initializes a new instance from the given factories.</summary>
    /// <param name="factories">The factories, e.g. every <see cref="ISchedulerFactory"/> registered in DI.</param>
    public SchedulerRegistry(IEnumerable<ISchedulerFactory> factories)
    {
        ArgumentNullException.ThrowIfNull(factories);
        var map = new Dictionary<string, ISchedulerFactory>(StringComparer.Ordinal);
        foreach (var factory in factories)
        {
            map[factory.Name] = factory;
        }

        _factories = map.ToFrozenDictionary(StringComparer.Ordinal);
        Names = _factories.Keys.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>Gets a registry holding exactly the built-in schedulers.</summary>
    public static SchedulerRegistry Default { get; } = new(BuiltInSchedulers.CreateFactories());

    /// <summary>Gets the names of every registered scheduler.</summary>
    public IReadOnlySet<string> Names { get; }

    /// <summary>Finds the factory for a name.</summary>
    /// <param name="name">The scheduler name.</param>
    /// <param name="factory">The factory when found.</param>
    /// <returns>Whether the name is registered.</returns>
    public bool TryGetFactory(string name, [NotNullWhen(true)] out ISchedulerFactory? factory)
        => _factories.TryGetValue(name, out factory);
}
