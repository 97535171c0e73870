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
    {
        try
        {
            return RunCore(args, stdin, stdout, stderr, environment);
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

    private static int RunCore(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        var rest = new List<string>(args.Length);
        string? rulesFile = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--json")
            {
                json = true;
            }
            else if (arg == "--rules-file")
            {
                if (i + 1 >= args.Length)
                {
                    stderr.Write("--rules-file: missing argument\n");
                    return 255;
                }

                rulesFile = args[++i];
            }
            else if (arg.StartsWith("--rules-file=", StringComparison.Ordinal))
            {
                rulesFile = arg["--rules-file=".Length..];
            }
            else
            {
                rest.Add(arg);
            }
        }

        var store = new RulesFileStore(rulesFile ?? environment(RulesFileStore.PathVariable) ?? RulesFileStore.DefaultPath);

        // ipvsadm without arguments lists the table with names.
        RuleCommand command;
        if (rest.Count == 0)
        {
            command = new RuleCommand { Kind = RuleCommandKind.List };
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
            stderr.Write($"Illegal 'json' option with the '{command.Kind.ToString().ToLowerInvariant()}' command\n");
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
            case RuleCommandKind.List:
                return WithTable(store, stderr, config => List(config, command, json, stdout, stderr));
            case RuleCommandKind.Save:
                return WithTable(store, stderr, config =>
                {
                    IpvsListing.WriteSave(stdout, ListingSnapshot.FromConfig(config), command.ListOptions);
                    return 0;
                });
            case RuleCommandKind.Restore:
                return Restore(store, stdin, stderr);
            case RuleCommandKind.StartDaemon:
            case RuleCommandKind.StopDaemon:
                stderr.Write("Connection sync daemons need a running director; a rules file has none\n");
                return 255;
            default:
                return Change(store, command, stderr);
        }
    }

    private static string TryHelp => $"Try `{Program} -h' or '{Program} --help' for more information.\n";

    private static int Change(RulesFileStore store, RuleCommand command, TextWriter stderr)
    {
        try
        {
            store.Update(config => RuleEditor.Apply(config, command));
            return 0;
        }
        catch (RuleApplyException e)
        {
            stderr.Write(e.Message + "\n");
            return RuleApplyException.ExitStatus;
        }
        catch (Exception e) when (e is RuleParseException or ConfigValidationException)
        {
            return StoreError(store, e, stderr);
        }
    }

    private static int Restore(RulesFileStore store, TextReader stdin, TextWriter stderr)
    {
        // The whole input is parsed before the table is touched; then every line is applied to a copy, which
        // is validated as a whole and written in one rename. A failed restore changes nothing.
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
            store.Update(config => RuleEditor.ApplyAll(config, commands));
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
        catch (RuleParseException e)
        {
            return StoreError(store, e, stderr);
        }
    }

    private static int WithTable(RulesFileStore store, TextWriter stderr, Func<LoadBalancerConfig, int> action)
    {
        LoadBalancerConfig config;
        try
        {
            config = store.Load();
        }
        catch (Exception e) when (e is RuleParseException or RuleApplyException or ConfigValidationException)
        {
            return StoreError(store, e, stderr);
        }

        return action(config);
    }

    private static int StoreError(RulesFileStore store, Exception e, TextWriter stderr)
    {
        var detail = e switch
        {
            RuleParseException p => p.ToLocatedString(),
            RuleApplyException a => $"line {a.Line}: {a.Message}",
            _ => e.Message,
        };
        stderr.Write($"{Program}: {store.Path}: {detail}\n");
        return 1;
    }

    private static int List(LoadBalancerConfig config, RuleCommand command, bool json, TextWriter stdout, TextWriter stderr)
    {
        var options = command.ListOptions;
        if ((options & ListOptions.Connections) != 0)
        {
            // A rules file has no connections: ipvsadm's two header lines and no rows.
            stdout.Write("IPVS connection entries\n");
            stdout.Write((options & ListOptions.PersistentConnections) != 0
                ? "pro expire state       source             virtual            destination        pe name          pe_data\n"
                : "pro expire state       source             virtual            destination\n");
            return 0;
        }

        if (command.Service is null && (options & ListOptions.Timeouts) != 0)
        {
            IpvsListing.WriteTimeouts(stdout, config.Timeouts);
            return 0;
        }

        if (command.Service is null && (options & ListOptions.Daemons) != 0)
        {
            return 0;
        }

        var snapshot = ListingSnapshot.FromConfig(config);
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
