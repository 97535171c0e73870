namespace LoadBalancing.Consul.Tests.Live;

/// <summary>Access to a real Consul agent for the opt-in live suite (trait <c>Category=Live</c>).</summary>
internal static class LiveConsul
{
    public const string Category = "Category";
    public const string Live = "Live";

    /// <summary>A client for the agent in CONSUL_HTTP_ADDR, or a skip with the reason when it is not set.</summary>
    public static IConsulClient CreateClientOrSkip()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONSUL_HTTP_ADDR")))
        {
            Assert.Skip("CONSUL_HTTP_ADDR is not set: start `consul agent -dev` and set CONSUL_HTTP_ADDR=127.0.0.1:8500 to run the live Consul suite.");
        }

        return ConsulClientFactory.Create(ConsulClientOptions.FromEnvironment() with { DefaultWait = TimeSpan.FromSeconds(5) });
    }

    /// <summary>A fresh dev agent answers 500 "No cluster leader" for a moment; wait until it has one.</summary>
    public static async Task WaitForLeaderAsync(IConsulClient client, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.GetCatalogServicesAsync(cancellationToken: cancellationToken);
                return;
            }
            catch (ConsulException e) when (attempt < 50 && e.StatusCode == System.Net.HttpStatusCode.InternalServerError)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>A name unique per test run, of <c>[a-z0-9-]</c> only, so runs against a shared agent do not collide.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
