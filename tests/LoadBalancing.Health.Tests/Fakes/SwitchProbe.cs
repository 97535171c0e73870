using System.Collections.Concurrent;

namespace LoadBalancing.Health.Tests.Fakes;

/// <summary>A probe whose answer per target address is switched by the test; up unless switched down.</summary>
internal sealed class SwitchProbe : IHealthProbe
{
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.Ordinal);

    public string Name => "switch";

    public void Set(string address, bool up) => _down[address] = !up;

    public ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
        => ValueTask.FromResult(_down.GetValueOrDefault(target.Address.ToString()) ? ProbeResult.Down("switched off") : ProbeResult.Up());
}
