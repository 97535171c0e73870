using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>
/// <c>lbadm diff FILE</c>: what restoring FILE the way <c>ipvsadm-restore</c> does (clear, then apply every line)
/// would change in the target, as ipvsadm commands marked <c>+</c> (added), <c>-</c> (removed) and <c>~</c>
/// (replaced). Exit statuses follow diff(1): 0 same, 1 different, 2 trouble (bad FILE, unreadable target).
/// </summary>
internal static class DiffCommand
{
    public const int Same = 0;
    public const int Different = 1;
    public const int Trouble = 2;

    public static int Run(IReadOnlyList<string> args, Func<ILbadmTarget> openTarget, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count != 1 || args[0].Length == 0 || args[0].StartsWith('-') && args[0] != "-")
        {
            stderr.Write("lbadm diff: expected one FILE (ipvsadm-save output, or - for stdin)\n");
            return Trouble;
        }

        var path = args[0];
        IReadOnlyList<RuleCommand> commands;
        try
        {
            using var reader = path == "-" ? null : new StreamReader(path);
            commands = RuleParser.ParseRestore(reader ?? stdin, ServiceNameTable.Default);
        }
        catch (RuleParseException e)
        {
            stderr.Write($"{Name(path)}:{e.Line}:{e.Column}: {e.Message} (expected {e.Expected})\n");
            return Trouble;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.Write($"lbadm diff: cannot read {path}: {e.Message}\n");
            return Trouble;
        }

        LoadBalancerConfig current;
        try
        {
            using var target = openTarget();
            var snapshot = target.Load();
            current = new LoadBalancerConfig { Services = [.. snapshot.Services.Select(s => s.Config)], Timeouts = snapshot.Timeouts };
        }
        catch (TargetException e)
        {
            stderr.Write($"lbadm: {e.Message}\n");
            return Trouble;
        }

        LoadBalancerConfig wanted;
        try
        {
            // ipvsadm-restore flushes first (-C keeps the timeouts), then runs every line.
            wanted = RuleEditor.ApplyAll(current with { Services = [] }, commands);
        }
        catch (RuleApplyException e)
        {
            stderr.Write($"{Name(path)}:{e.Line}: {e.Message}\n");
            return Trouble;
        }
        catch (ConfigValidationException e)
        {
            stderr.Write($"{Name(path)}: {e.Message}\n");
            return Trouble;
        }

        var differences = RuleDiff.Compare(current, wanted);
        foreach (var difference in differences)
        {
            stdout.Write(difference + "\n");
        }

        return differences.Count == 0 ? Same : Different;
    }

    private static string Name(string path) => path == "-" ? "<stdin>" : path;
}
