namespace LoadBalancing.Rules;

/// <summary>
/// Parses ipvsadm command lines and <c>-R</c> input exactly as ipvsadm 1.31 does (popt option syntax, option
/// legality table, defaults, messages and exit statuses), into <see cref="RuleCommand"/>s.
/// </summary>
public static class RuleParser
{
    /// <summary>The program name used in usage messages when none is given.</summary>
    public const string DefaultProgramName = "lbadm";

    /// <summary>Parses one command line (the arguments after the program name).</summary>
    /// <param name="args">The arguments, e.g. <c>["-A", "-t", "192.168.1.254:80", "-s", "rr"]</c>.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    /// <param name="programName">The name in <c>Try `%s -h'</c> hints.</param>
    /// <returns>The command.</returns>
    /// <exception cref="RuleParseException">The arguments are not a valid command; columns count the arguments joined by single spaces.</exception>
    public static RuleCommand ParseArguments(IReadOnlyList<string> args, ServiceNameTable? names = null, string programName = DefaultProgramName)
    {
        ArgumentNullException.ThrowIfNull(args);
        return new RuleCommandParser(RuleToken.FromArguments(args), 1, names ?? ServiceNameTable.Default, programName, inRestore: false).Parse();
    }

    /// <summary>Parses one line of <c>-R</c> input. Blank lines and lines starting with <c>#</c> give <see langword="null"/>.</summary>
    /// <param name="line">The line.</param>
    /// <param name="lineNumber">Its 1-based number, for error messages.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    /// <param name="programName">The name in <c>Try `%s -h'</c> hints.</param>
    /// <returns>The command, or <see langword="null"/> for a blank or comment line.</returns>
    /// <exception cref="RuleParseException">The line is not a valid command, or is one a restore cannot contain.</exception>
    public static RuleCommand? ParseLine(string line, int lineNumber, ServiceNameTable? names = null, string programName = DefaultProgramName)
    {
        ArgumentNullException.ThrowIfNull(line);

        // ipvsadm -R has no comments, but ipvsadm-restore drops lines that begin with '#' before piping the
        // rest to it; accepting them here lets one parser read both kinds of file.
        if (line.StartsWith('#'))
        {
            return null;
        }

        var tokens = RuleToken.Split(line);
        if (tokens.Count == 0)
        {
            return null;
        }

        var command = new RuleCommandParser(tokens, lineNumber, names ?? ServiceNameTable.Default, programName, inRestore: true).Parse();
        if (!command.IsTableChange)
        {
            throw new RuleParseException(
                $"the '{RuleOptionTable.CommandNameOrSelf(command.Kind)}' command cannot be restored",
                lineNumber,
                tokens[0].Column,
                "a table change: -A, -E, -D, -a, -e, -d, -C, -Z or --set");
        }

        return command;
    }

    /// <summary>Parses a whole <c>-R</c> input (e.g. <c>ipvsadm-save -n</c> output). Stops at the first error.</summary>
    /// <param name="reader">The input.</param>
    /// <param name="names">Port names; <see cref="ServiceNameTable.Default"/> when <see langword="null"/>.</param>
    /// <param name="programName">The name in <c>Try `%s -h'</c> hints.</param>
    /// <returns>The commands in input order.</returns>
    /// <exception cref="RuleParseException">A line is not valid; nothing is returned.</exception>
    public static IReadOnlyList<RuleCommand> ParseRestore(TextReader reader, ServiceNameTable? names = null, string programName = DefaultProgramName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var commands = new List<RuleCommand>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (ParseLine(line, lineNumber, names, programName) is { } command)
            {
                commands.Add(command);
            }
        }

        return commands;
    }
}
