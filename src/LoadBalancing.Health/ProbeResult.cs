using System.Diagnostics.CodeAnalysis;

namespace LoadBalancing.Health;

/// <summary>The outcome of one probe: up, up with a dynamic weight, or down with a reason.</summary>
public readonly struct ProbeResult : IEquatable<ProbeResult>
{
    private static readonly ProbeResult UpResult = new(true, null, null);

    private ProbeResult(bool isUp, int? dynamicWeight, string? reason)
    {
        IsUp = isUp;
        DynamicWeight = dynamicWeight;
        Reason = reason;
    }

    /// <summary>Gets a value indicating whether the target passed the check.</summary>
    public bool IsUp { get; }

    /// <summary>
    /// Gets the weight the target asked for (keepalived <c>misc_dynamic</c>), or <see langword="null"/> to keep
    /// the configured weight.
    /// </summary>
    public int? DynamicWeight { get; }

    /// <summary>Gets why the check failed; <see langword="null"/> when it passed.</summary>
    public string? Reason { get; }

    /// <summary>A passed check.</summary>
    /// <returns>The result.</returns>
    public static ProbeResult Up() => UpResult;

    /// <summary>A failed check.</summary>
    /// <param name="reason">Why it failed, for logs and events.</param>
    /// <returns>The result.</returns>
    public static ProbeResult Down(string reason) => new(false, null, reason ?? "down");

    /// <summary>A passed check that sets the target's weight (keepalived <c>misc_dynamic</c>).</summary>
    /// <param name="weight">The weight, 0..65535.</param>
    /// <returns>The result.</returns>
    public static ProbeResult Weighted(int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, Model.RealServerConfig.MaxWeight);
        return new(true, weight, null);
    }

    /// <inheritdoc/>
    public bool Equals(ProbeResult other)
        => IsUp == other.IsUp && DynamicWeight == other.DynamicWeight && string.Equals(Reason, other.Reason, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is ProbeResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(IsUp, DynamicWeight, Reason);

    /// <inheritdoc/>
    public override string ToString()
        => IsUp ? (DynamicWeight is { } w ? $"up (weight {w})" : "up") : $"down: {Reason}";

    /// <summary>Equality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether both are equal.</returns>
    public static bool operator ==(ProbeResult left, ProbeResult right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ProbeResult left, ProbeResult right) => !left.Equals(right);
}
