namespace LoadBalancing.Health.Probes;

/// <summary>A decoded <c>HealthCheckResponse</c>: the serving status, or -1 when the message was malformed.</summary>
/// <param name="Status">The status value.</param>
internal sealed record GrpcHealthResponse(int Status);
