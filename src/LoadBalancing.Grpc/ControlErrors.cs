namespace LoadBalancing.Grpc;

/// <summary>Trailer names the director uses to say more about a failed call than a status code can.</summary>
public static class ControlErrors
{
    /// <summary>Trailer with the 1-based line of the restore command that was refused.</summary>
    public const string RuleLineTrailer = "lb-rule-line";

    /// <summary>Trailer whose value says what kind of error an <c>INVALID_ARGUMENT</c> is: <see cref="InvalidTable"/> or <see cref="MalformedRequest"/>.</summary>
    public const string KindTrailer = "lb-error";

    /// <summary>The change was well-formed but the resulting table is invalid.</summary>
    public const string InvalidTable = "invalid-table";

    /// <summary>The request itself is malformed.</summary>
    public const string MalformedRequest = "malformed-request";
}
