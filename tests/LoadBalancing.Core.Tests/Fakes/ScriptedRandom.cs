namespace LoadBalancing.Tests.Fakes;

/// <summary>A <see cref="Random"/> whose <see cref="NextInt64(long, long)"/> returns scripted values and records the bounds asked for.</summary>
internal sealed class ScriptedRandom(params long[] values) : Random
{
    private readonly Queue<long> _values = new(values);

    public List<(long Min, long Max)> Calls { get; } = [];

    public override long NextInt64(long minValue, long maxValue)
    {
        Calls.Add((minValue, maxValue));
        return _values.Dequeue();
    }
}
