using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>A rules file as lbadm's table (<see cref="RulesFile"/>: atomic writes under a lock).</summary>
internal sealed class RulesFileTarget(RulesFile file) : ILbadmTarget
{
    public ListingSnapshot Load()
    {
        try
        {
            return ListingSnapshot.FromConfig(file.Load());
        }
        catch (Exception e) when (e is RuleParseException or RuleApplyException or ConfigValidationException)
        {
            throw FileError(e);
        }
    }

    public void Apply(RuleCommand command)
    {
        try
        {
            file.Update(config => RuleEditor.Apply(config, command));
        }
        catch (Exception e) when (e is RuleParseException or ConfigValidationException)
        {
            throw FileError(e);
        }
    }

    public void Restore(IReadOnlyList<RuleCommand> commands)
    {
        // A refused line or an invalid result is the input's fault (RuleApplyException, ConfigValidationException
        // pass through); an unreadable file is the target's.
        try
        {
            file.Update(config => RuleEditor.ApplyAll(config, commands));
        }
        catch (RuleParseException e)
        {
            throw FileError(e);
        }
    }

    // A rules file has no traffic, hence no connections.
    public IReadOnlyList<ListedConnection> Connections() => [];

    public void Dispose()
    {
    }

    private TargetException FileError(Exception e)
    {
        var detail = e switch
        {
            RuleParseException p => p.ToLocatedString(),
            RuleApplyException a => $"line {a.Line}: {a.Message}",
            _ => e.Message,
        };
        return new TargetException($"{file.Path}: {detail}", e);
    }
}
