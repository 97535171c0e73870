namespace LoadBalancing.Rules;

/// <summary>
/// A parsed rule could not be applied to the table, the way the kernel refuses a change (e.g.
/// <c>Service already exists</c>). <see cref="Exception.Message"/> is ipvsadm's wording (libipvs <c>ipvs_strerror</c>).
/// </summary>
public sealed class RuleApplyException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">ipvsadm's message.</param>
    /// <param name="line">1-based line number of the rule.</param>
    public RuleApplyException(string message, int line)
        : base(message)
    {
        Line = line;
    }

    /// <summary>Initializes a new instance.</summary>
    public RuleApplyException()
        : this("Invalid operation", 1)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public RuleApplyException(string message)
        : this(message, 1)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RuleApplyException(string message, Exception innerException)
        : base(message, innerException)
    {
        Line = 1;
    }

    /// <summary>Gets the 1-based line number of the rule.</summary>
    public int Line { get; }

    /// <summary>ipvsadm's exit status for a refused change: 255 (the -1 of <c>process_options</c>).</summary>
    public const int ExitStatus = 255;
}
