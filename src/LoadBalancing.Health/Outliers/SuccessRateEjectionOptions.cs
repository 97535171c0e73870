namespace LoadBalancing.Health.Outliers;

/// <summary>The success-rate ejection of gRPC A50 / Envoy: eject servers whose success rate is a statistical outlier.</summary>
public sealed record SuccessRateEjectionOptions
{
    /// <summary>
    /// Gets the factor, in thousandths, of the standard deviation below the mean success rate under which a server
    /// is ejected: threshold = mean − stdev × <c>StdevFactor</c> / 1000. 1900 (1.9) by default.
    /// </summary>
    public int StdevFactor { get; init; } = 1900;

    /// <summary>Gets the chance in percent that a detected outlier is ejected; 100 by default.</summary>
    public int EnforcementPercentage { get; init; } = 100;

    /// <summary>Gets how many servers of a service need <see cref="RequestVolume"/> in one interval before the algorithm runs; 5 by default.</summary>
    public int MinimumHosts { get; init; } = 5;

    /// <summary>Gets the reports (successes + failures) a server needs in one interval to be considered; 100 by default.</summary>
    public int RequestVolume { get; init; } = 100;

    internal IEnumerable<string> Validate(string prefix)
    {
        if (StdevFactor < 0)
        {
            yield return $"{prefix}.{nameof(StdevFactor)} must not be negative.";
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
