using System.Runtime.CompilerServices;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Director.Discovery;

/// <summary>A fixed set of services: from <see cref="DirectorOptions.StaticRules"/> (ipvsadm lines) or from code.</summary>
internal sealed class StaticDiscoveryProvider : IDiscoveryProvider
{
    private readonly DiscoverySnapshot _snapshot;

    public StaticDiscoveryProvider(string name, LoadBalancerConfig config)
    {
        Name = name;
        _snapshot = new DiscoverySnapshot(config.Services);
    }

    public string Name { get; }

    /// <summary>Parses ipvsadm command lines into a configuration.</summary>
    /// <exception cref="RuleParseException">A line is not a valid command.</exception>
    /// <exception cref="RuleApplyException">A line contradicts an earlier one.</exception>
    public static LoadBalancerConfig Parse(IEnumerable<string> lines)
    {
        var commands = new List<RuleCommand>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (RuleParser.ParseLine(line, number, ServiceNameTable.Default) is { } command)
            {
                commands.Add(command);
            }
        }

        return RuleEditor.ApplyAll(LoadBalancerConfig.Empty, commands);
    }

    public async IAsyncEnumerable<DiscoverySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield return _snapshot;
    }
}
