namespace LoadBalancing.Rules;

/// <summary>
/// A rule (command line or <c>-R</c> line) could not be parsed. <see cref="Exception.Message"/> is ipvsadm's
/// wording; <see cref="Line"/>, <see cref="Column"/> and <see cref="Expected"/> say where and what was expected.
/// </summary>
public sealed class RuleParseException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">ipvsadm's message, e.g. <c>illegal weight specified</c>.</param>
    /// <param name="line">1-based line number.</param>
    /// <param name="column">1-based column of the offending token.</param>
    /// <param name="expected">What was expected there.</param>
    /// <param name="exitCode">ipvsadm's exit status: 2 for validation failures, 255 for usage errors.</param>
    /// <param name="showTryHelp">Whether ipvsadm would print only its "Try -h" hint for this error.</param>
    public RuleParseException(string message, int line, int column, string expected, int exitCode = 2, bool showTryHelp = false)
        : base(message)
    {
        Line = line;
        Column = column;
        Expected = expected;
        ExitCode = exitCode;
        ShowTryHelp = showTryHelp;
    }

    /// <summary>Initializes a new instance.</summary>
    public RuleParseException()
        : this("invalid rule", 1, 1, "a valid rule")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public RuleParseException(string message)
        : this(message, 1, 1, "a valid rule")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RuleParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Line = 1;
        Column = 1;
        Expected = "a valid rule";
        ExitCode = 2;
    }

    /// <summary>Gets the 1-based line number.</summary>
    public int Line { get; }

    /// <summary>Gets the 1-based column of the offending token.</summary>
    public int Column { get; }

    /// <summary>Gets a description of what was expected.</summary>
    public string Expected { get; }

    /// <summary>Gets ipvsadm's exit status for this error: 2 (<c>fail()</c>) or 255 (usage).</summary>
    public int ExitCode { get; }

    /// <summary>Gets a value indicating whether ipvsadm prints only <c>Try `ipvsadm -h' ...</c> for this error.</summary>
    public bool ShowTryHelp { get; }

    /// <summary>Formats the error with its location: <c>line 3, column 12: illegal weight specified (expected ...)</c>.</summary>
    /// <returns>The located message.</returns>
    public string ToLocatedString() => $"line {Line}, column {Column}: {Message} (expected {Expected})";
}
