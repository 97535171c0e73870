namespace LoadBalancing.Cli;

/// <summary>The target (rules file or director) failed; the message names it and says why. lbadm exits 1.</summary>
internal sealed class TargetException : Exception
{
    public TargetException(string message)
        : base(message)
    {
    }

    public TargetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TargetException()
    {
    }
}
