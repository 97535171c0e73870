namespace LoadBalancing.Client.Tests.Fixtures;

/// <summary>Three named backends (a, b, c) of one kind, and the lbadm rules of a virtual service over them.</summary>
internal sealed class Backends : IAsyncDisposable
{
    private Backends(Backend[] all)
    {
        All = all;
    }

    public Backend[] All { get; }

    public Backend A => All[0];

    public Backend B => All[1];

    public Backend C => All[2];

    public static async Task<Backends> StartHttpAsync() => new([await Backend.StartHttpAsync("a"), await Backend.StartHttpAsync("b"), await Backend.StartHttpAsync("c")]);

    public static async Task<Backends> StartGrpcAsync() => new([await Backend.StartGrpcAsync("a"), await Backend.StartGrpcAsync("b"), await Backend.StartGrpcAsync("c")]);

    /// <summary>Rules for <paramref name="vip"/> with scheduler <paramref name="scheduler"/>: a, b, c added in that order with the given weights.</summary>
    public string Rules(string vip, string scheduler, int weightA, int weightB, int weightC) => $"""
        -A -t {vip} -s {scheduler}
        -a -t {vip} -r 127.0.0.1:{A.Port} -m -w {weightA}
        -a -t {vip} -r 127.0.0.1:{B.Port} -m -w {weightB}
        -a -t {vip} -r 127.0.0.1:{C.Port} -m -w {weightC}
        """;

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in All)
        {
            await backend.DisposeAsync();
        }
    }
}
