using System.Text.Json;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>
/// lbadm's entry point: ipvsadm's commands, output and exit statuses, against a rules file. Every failure is a
/// message on stderr and an exit status; nothing escapes as a stack trace.
/// </summary>
/// <remarks>
/// Options are parsed by the Core rule parser (a popt work-alike), not System.CommandLine: ipvsadm's syntax
/// needs bundles mixing commands and options (<c>-Ln</c>, <c>-lnc</c>), an optional argument (<c>-p [T]</c>),
/// a command that must come first, its legality table and its exact messages and exit statuses, and the same
/// parser has to read <c>-R</c> lines anyway.
/// </remarks>
internal static class LbadmApp
{
    private const string Program = "lbadm";

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
        => Run(args, stdin, stdout, stderr, environment, new LbadmConsole());

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, LbadmConsole console)
    {
        try
        {
            return RunCore(args, stdin, stdout, stderr, environment, console);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.Write($"{Program}: {e.Message}\n");
            return 1;
        }
#pragma warning disable CA1031 // The promise is "never a stack trace": anything unexpected becomes a message.
        catch (Exception e)
#pragma warning restore CA1031
        {
            stderr.Write($"{Program}: internal error: {e.Message}\n");
            return 1;
        }
    }

    /// <summary>Where the rules live when neither <c>--rules-file</c> nor <c>LBADM_RULES_FILE</c> says.</summary>
    public const string DefaultRulesFile = RulesFile.DefaultPath;

    /// <summary>The environment variable that overrides <see cref="DefaultRulesFile"/>.</summary>
    public const string RulesFileVariable = "LBADM_RULES_FILE";

    /// <summary>The environment variable that makes a director the default target (<c>unix:PATH</c> or <c>https://host:port</c>).</summary>
    public const string DirectorVariable = "LBADM_DIRECTOR";

    /// <summary>The environment variable with the bearer token for a director reached over TCP.</summary>
    public const string TokenVariable = "LBADM_DIRECTOR_TOKEN";

    private static int RunCore(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, LbadmConsole console)
    {
        var rest = new List<string>(args.Length);
        string? rulesFile = null;
        string? director = null;
        var json = false;
        var watch = new WatchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            if (arg.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq
                && arg[..eq] is "--rules-file" or "--director" or "--interval" or "--count")
            {
                // popt also takes --option=value.
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            if (arg == "--json")
            {
                json = true;
            }
            else if (arg == "--watch")
            {
                watch = watch with { Enabled = true };
            }
            else if (arg is "--rules-file" or "--director" or "--interval" or "--count")
            {
                if (inlineValue is null && i + 1 >= args.Length)
                {
                    stderr.Write($"{arg}: missing argument\n");
                    return 255;
                }

                var value = inlineValue ?? args[++i];
                switch (arg)
                {
                    case "--director":
                        director = value;
                        break;
                    case "--rules-file":
                        rulesFile = value;
                        break;
                    case "--interval":
                        if (!WatchOptions.TryParseInterval(value, out var interval))
                        {
                            stderr.Write($"illegal interval '{value}' specified (expected seconds from 0.1 to 86400)\n");
                            return 2;
                        }

                        watch = watch with { Interval = interval, IntervalGiven = true };
                        break;
                    default:
                        if (!WatchOptions.TryParseCount(value, out var count))
                        {
                            stderr.Write($"illegal count '{value}' specified (expected a positive integer)\n");
                            return 2;
                        }

                        watch = watch with { Count = count };
                        break;
                }
            }
            else
            {
                rest.Add(arg);
            }
        }

        if (rulesFile is not null && director is not null)
        {
            stderr.Write("--rules-file and --director are mutually exclusive\n");
            return 2;
        }

        if (!watch.Enabled && (watch.IntervalGiven || watch.Count is not null))
        {
            stderr.Write($"Illegal '{(watch.IntervalGiven ? "interval" : "count")}' option without --watch\n");
            return 2;
        }

        // Target: an explicit flag, else LBADM_DIRECTOR, else the rules file (LBADM_RULES_FILE or the default).
        director ??= rulesFile is null ? environment(DirectorVariable) : null;
        ILbadmTarget OpenTarget() => director is not null
            ? new DirectorTarget(director, environment(TokenVariable))
            : new RulesFileTarget(new RulesFile(rulesFile ?? environment(RulesFileVariable) ?? DefaultRulesFile));

        if (rest.Count > 0 && rest[0] == "diff")
        {
            if (json || watch.Enabled)
            {
                stderr.Write($"Illegal '{(json ? "json" : "watch")}' option with the 'diff' command\n");
                return DiffCommand.Trouble;
            }

            return DiffCommand.Run(rest[1..], OpenTarget, stdin, stdout, stderr);
        }

        // ipvsadm without arguments lists the table with names; --watch alone refreshes -Ln --rate.
        RuleCommand command;
        if (rest.Count == 0)
        {
            command = new RuleCommand
            {
                Kind = RuleCommandKind.List,
                ListOptions = watch.Enabled ? ListOptions.Numeric | ListOptions.Rate : ListOptions.None,
            };
        }
        else
        {
            try
            {
                command = RuleParser.ParseArguments(rest, ServiceNameTable.Default, Program);
            }
            catch (RuleParseException e)
            {
                stderr.Write(e.ShowTryHelp ? TryHelp : e.Message + "\n");
                return e.ExitCode;
            }
        }

        if (json && command.Kind != RuleCommandKind.List)
        {
            stderr.Write($"Illegal 'json' option with the '{CommandName(command.Kind)}' command\n");
            return 2;
        }

        if (watch.Enabled && command.Kind != RuleCommandKind.List)
        {
            stderr.Write($"Illegal 'watch' option with the '{CommandName(command.Kind)}' command\n");
            return 2;
        }

        switch (command.Kind)
        {
            case RuleCommandKind.Help:
                stdout.Write(Usage.Text(Program));
                return 0;
            case RuleCommandKind.Version:
                stdout.Write(Usage.VersionLine);
                return 0;
        }

        try
        {
            using var target = OpenTarget();
            return watch.Enabled
                ? WatchCommand.Run(output => List(target, command, json, output, stderr), watch, console, stdout)
                : Execute(target, director is not null, command, json, stdin, stdout, stderr);
        }
        catch (TargetException e)
        {
            stderr.Write($"{Program}: {e.Message}\n");
            return 1;
        }
    }

    private static int Execute(ILbadmTarget target, bool isDirector, RuleCommand command, bool json, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        switch (command.Kind)
        {
            case RuleCommandKind.List:
                return List(target, command, json, stdout, stderr);
            case RuleCommandKind.Save:
                IpvsListing.WriteSave(stdout, target.Load(), command.ListOptions);
                return 0;
            case RuleCommandKind.Restore:
                return Restore(target, stdin, stderr);
            case RuleCommandKind.StartDaemon:
            case RuleCommandKind.StopDaemon:
                stderr.Write(isDirector
                    ? "Connection sync daemons are not supported by this director\n"
                    : "Connection sync daemons need a running director; a rules file has none\n");
                return 255;
            default:
                return Change(target, command, stderr);
        }
    }

    // ipvsadm's long command names, as its "Illegal '%s' option with the '%s' command" messages print them.
    private static string CommandName(RuleCommandKind kind) => kind switch
    {
        RuleCommandKind.AddService => "add-service",
        RuleCommandKind.EditService => "edit-service",
        RuleCommandKind.DeleteService => "delete-service",
        RuleCommandKind.AddServer => "add-server",
        RuleCommandKind.EditServer => "edit-server",
        RuleCommandKind.DeleteServer => "delete-server",
        RuleCommandKind.SetTimeouts => "set",
        RuleCommandKind.StartDaemon => "start-daemon",
        RuleCommandKind.StopDaemon => "stop-daemon",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string TryHelp => $"Try `{Program} -h' or '{Program} --help' for more information.\n";

    private static int Change(ILbadmTarget target, RuleCommand command, TextWriter stderr)
    {
        try
        {
            target.Apply(command);
            return 0;
        }
        catch (RuleApplyException e)
        {
            stderr.Write(e.Message + "\n");
            return RuleApplyException.ExitStatus;
        }
        catch (ConfigValidationException e)
        {
            stderr.Write(e.Message + "\n");
            return RuleApplyException.ExitStatus;
        }
    }

    private static int Restore(ILbadmTarget target, TextReader stdin, TextWriter stderr)
    {
        // The whole input is parsed before the table is touched; then every line is applied to a copy, which
        // is validated as a whole and swapped in at once. A failed restore changes nothing.
        IReadOnlyList<RuleCommand> commands;
        try
        {
            commands = RuleParser.ParseRestore(stdin, ServiceNameTable.Default, Program);
        }
        catch (RuleParseException e)
        {
            stderr.Write($"{Program}: restore: {e.ToLocatedString()}\n");
            if (e.ShowTryHelp)
            {
                stderr.Write(TryHelp);
            }

            return e.ExitCode;
        }

        try
        {
            target.Restore(commands);
            return 0;
        }
        catch (RuleApplyException e)
        {
            stderr.Write($"{Program}: restore: line {e.Line}: {e.Message}\n");
            return RuleApplyException.ExitStatus;
        }
        catch (ConfigValidationException e)
        {
            stderr.Write($"{Program}: restore: {e.Message}\n");
            return RuleApplyException.ExitStatus;
        }
    }

    private static int List(ILbadmTarget target, RuleCommand command, bool json, TextWriter stdout, TextWriter stderr)
    {
        var options = command.ListOptions;
        if ((options & ListOptions.Connections) != 0)
        {
            IpvsListing.WriteConnections(stdout, target.Connections(), options);
            return 0;
        }

        var snapshot = target.Load();
        if (command.Service is null && (options & ListOptions.Timeouts) != 0)
        {
            IpvsListing.WriteTimeouts(stdout, snapshot.Timeouts);
            return 0;
        }

        if (command.Service is null && (options & ListOptions.Daemons) != 0)
        {
            return 0;
        }

        if (json)
        {
            var services = IpvsListing.Order(snapshot, options);
            if (command.Service is { } only)
            {
                services = [.. services.Where(s => s.Config.Key == only)];
                if (services.Count == 0)
                {
                    stderr.Write("No such service\n");
                    return 1;
                }
            }

            stdout.Write(JsonSerializer.Serialize(JsonListingBuilder.Build(snapshot, services), LbadmJsonContext.Default.JsonListing));
            stdout.Write("\n");
            return 0;
        }

        if (!IpvsListing.WriteList(stdout, snapshot, options, command.Service))
        {
            stderr.Write("No such service\n");
            return 1;
        }

        return 0;
    }
}
