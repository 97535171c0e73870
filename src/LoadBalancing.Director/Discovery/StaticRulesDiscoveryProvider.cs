using System.Runtime.CompilerServices;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Discovery;

/// <summary>The static provider of <see cref="DirectorOptions.StaticRules"/>; silent when there are none.</summary>
internal sealed class StaticRulesDiscoveryProvider(IOptions<DirectorOptions> options) : IDiscoveryProvider
{
    public string Name => "static";

    public async IAsyncEnumerable<DiscoverySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var lines = options.Value.StaticRules;
        if (lines.Count == 0)
        {
            yield break;
        }

        LoadBalancerConfig config;
        try
        {
            config = StaticDiscoveryProvider.Parse(lines);
        }
        catch (Exception e) when (e is RuleParseException or RuleApplyException)
        {
            var detail = e is RuleParseException p ? p.ToLocatedString() : e.Message;
            throw new InvalidOperationException($"Director:StaticRules: {detail}", e);
        }

        yield return new DiscoverySnapshot(config.Services);
    }
}
