namespace LoadBalancing.Director.Host.Demo;

/// <summary><c>demo --mode dr</c>: the demo on the Direct-Routing forwarder in network namespaces it creates and removes.</summary>
internal static class DrDemoRunner
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        await Console.Error.WriteLineAsync("lb-director demo --mode dr: not available in this build");
        return 2;
    }
}
