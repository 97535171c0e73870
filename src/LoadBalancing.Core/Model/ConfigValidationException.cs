namespace LoadBalancing.Model;

/// <summary>Thrown when a configuration snapshot is invalid; the running configuration is left unchanged.</summary>
public sealed class ConfigValidationException : Exception
{
    /// <summary>Initializes a new instance with the problems found.</summary>
    /// <param name="errors">The problems.</param>
    public ConfigValidationException(IReadOnlyList<ConfigError> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Initializes a new instance with no details.</summary>
    public ConfigValidationException()
        : this([])
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public ConfigValidationException(string message)
        : base(message)
    {
        Errors = [new ConfigError("", message)];
    }

    /// <summary>Initializes a new instance with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ConfigValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new ConfigError("", message)];
    }

    /// <summary>Gets the problems found.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    private static string FormatMessage(IReadOnlyList<ConfigError> errors)
        => errors.Count == 0
            ? "The configuration is invalid."
            : "The configuration is invalid:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e));
}
