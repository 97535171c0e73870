namespace LoadBalancing.Agent;

/// <summary>A failure the agent explains to the operator: the message says what failed and why, without a stack trace.</summary>
public sealed class AgentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and why.</param>
    public AgentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and why.</param>
    /// <param name="innerException">The cause.</param>
    public AgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
