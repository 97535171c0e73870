using System.Net;

namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>
/// The fakes' accept loop ends on dispose even when the listener never completes a pending accept (the managed
/// HttpListener can lose a <c>GetContextAsync</c> that races with <c>Close</c>; see <see cref="LoopbackHttpListener"/>).
/// Before the fix, <c>DisposeAsync</c> awaited that accept and hung the test host.
/// </summary>
public sealed class LoopbackHttpListenerTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    // What the lost accept looks like from the loop: a task that never completes, whatever happens to the listener.
    private static Task<HttpListenerContext> LostAccept(HttpListener listener) => new TaskCompletionSource<HttpListenerContext>().Task;

    [Fact]
    public async Task ConsulTestServer_AcceptNeverCompletes_DisposeStillReturns()
    {
        var accepts = 0;
        var server = new ConsulTestServer(accept: listener =>
        {
            Interlocked.Increment(ref accepts);
            return LostAccept(listener);
        });
        await WaitUntilAsync(() => Volatile.Read(ref accepts) == 1);

        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(1, Volatile.Read(ref accepts));
    }

    [Fact]
    public async Task FakeConsulAgent_AcceptNeverCompletes_DisposeStillReturns()
    {
        var accepts = 0;
        var agent = new FakeConsulAgent(accept: listener =>
        {
            Interlocked.Increment(ref accepts);
            return LostAccept(listener);
        });
        await WaitUntilAsync(() => Volatile.Read(ref accepts) == 1);

        await agent.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(1, Volatile.Read(ref accepts));
    }

    [Fact]
    public async Task ConsulTestServer_CreatedAndDisposedAtOnce_RealListenerDisposeReturns()
    {
        // The hung test's shape on the real listener: dispose while the accept loop is still starting. The race is
        // rare once the listener's code is warm (about 1 in 3 000 here; 7 in 100 in a fresh process), so this bounds
        // the shape rather than proving the race; the lost-accept tests above are the deterministic check.
        for (var i = 0; i < 200; i++)
        {
            var server = new ConsulTestServer();
            await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
