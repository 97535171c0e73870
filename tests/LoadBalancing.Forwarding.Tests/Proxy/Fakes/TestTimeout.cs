namespace LoadBalancing.Forwarding.Tests.Proxy.Fakes;

/// <summary>Bounds every await of a socket test: the test's own token, cancelled after 10 s at the latest.</summary>
internal static class TestTimeout
{
    public static CancellationTokenSource Create()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(10));
        return source;
    }
}
