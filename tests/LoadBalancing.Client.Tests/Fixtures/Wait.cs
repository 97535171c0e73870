namespace LoadBalancing.Client.Tests.Fixtures;

/// <summary>Waits for a condition that another thread makes true; bounded, so a bug fails the test instead of hanging it.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, int maxSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(maxSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
