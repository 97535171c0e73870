namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>A <c>bpf(2)</c> command failed; <see cref="Errno"/> is the kernel's error number.</summary>
public sealed class BpfException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    public BpfException()
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What failed and why.</param>
    public BpfException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">What failed and why.</param>
    /// <param name="innerException">The cause.</param>
    public BpfException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal BpfException(int errno, string message)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>Gets the kernel's error number (0 when not from a system call).</summary>
    public int Errno { get; }
}
