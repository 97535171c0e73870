using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Client;

/// <summary>A fixed list of virtual services and weighted real servers for client-side balancing, registered with <c>AddStaticServices</c>.</summary>
public sealed class StaticServices
{
    /// <summary>Initializes a new instance from a validated configuration.</summary>
    /// <param name="config">The services.</param>
    /// <exception cref="ConfigValidationException">The configuration is invalid.</exception>
    public StaticServices(LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.EnsureValid();
        Config = config;
    }

    /// <summary>Gets the services.</summary>
    public LoadBalancerConfig Config { get; }

    /// <summary>
    /// Parses services written as <c>ipvsadm-restore</c> / <c>lbadm</c> rules, numeric only, e.g.
    /// <c>-A -t 10.0.0.1:80 -s wrr</c> then <c>-a -t 10.0.0.1:80 -r 127.0.0.1:5001 -m -w 3</c>.
    /// </summary>
    /// <param name="rules">The rules, one command a line.</param>
    /// <returns>The services.</returns>
    /// <exception cref="FormatException">The rules are not valid; the message gives line, column and what was expected.</exception>
    public static StaticServices Parse(string rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        try
        {
            using var reader = new StringReader(rules);
            var commands = RuleParser.ParseRestore(reader, ServiceNameTable.Empty);
            return new StaticServices(RuleEditor.ApplyAll(LoadBalancerConfig.Empty, commands));
        }
        catch (RuleParseException e)
        {
            throw new FormatException($"Static services: {e.ToLocatedString()}", e);
        }
        catch (RuleApplyException e)
        {
            throw new FormatException($"Static services: {e.Message}", e);
        }
        catch (ConfigValidationException e)
        {
            throw new FormatException($"Static services: {e.Message}", e);
        }
    }
}
