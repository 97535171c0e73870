namespace LoadBalancing.Health.Outliers;

/// <summary>The failure-percentage ejection of gRPC A50 / Envoy: eject servers whose failure rate over an interval is too high.</summary>
public sealed record FailurePercentageEjectionOptions
{
    /// <summary>Gets the failure percentage above which a server is ejected; 85 by default.</summary>
    public int Threshold { get; init; } = 85;

    /// <summary>Gets the chance in percent that a detected outlier is ejected; 100 by default.</summary>
    public int EnforcementPercentage { get; init; } = 100;

    /// <summary>Gets how many servers a service needs before the algorithm runs; 5 by default.</summary>
    public int MinimumHosts { get; init; } = 5;

    /// <summary>Gets the reports (successes + failures) a server needs in one interval to be considered; 50 by default.</summary>
    public int RequestVolume { get; init; } = 50;

    internal IEnumerable<string> Validate(string prefix)
    {
        if (Threshold is < 0 or > 100)
        {
            yield return $"{prefix}.{nameof(Threshold)} must be between 0 and 100.";
        }

        if (EnforcementPercentage is < 0 or > 100)
        {
            yield return $"{prefix}.{nameof(EnforcementPercentage)} must be between 0 and 100.";
        }

        if (MinimumHosts < 0 || RequestVolume < 0)
        {
            yield return $"{prefix}.{nameof(MinimumHosts)} and {nameof(RequestVolume)} must not be negative.";
        }
    }
}
