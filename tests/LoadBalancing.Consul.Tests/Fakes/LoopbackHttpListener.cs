using System.Net;
using System.Net.Sockets;

namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>
/// The fakes' <see cref="HttpListener"/> on a free 127.0.0.1 port, with an accept loop that a stop token ends.
/// </summary>
/// <remarks>
/// The loop does not rely on <see cref="HttpListener.Close"/> to end a pending <see cref="HttpListener.GetContextAsync"/>:
/// on Linux (the managed listener) a <c>BeginGetContext</c> that runs while <c>Close</c> runs can check "started", let
/// <c>Close</c> fail every queued wait, and only then queue its own wait, which nothing completes any more. The accept
/// loop then waited forever, and so did a fake's <c>DisposeAsync</c> awaiting it: the intermittent
/// <c>LoadBalancing.Consul.Tests</c> hang (a server created and disposed at once, while its loop was still starting).
/// </remarks>
internal sealed class LoopbackHttpListener : IAsyncDisposable
{
    private const int BindAttempts = 10;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts listening and runs <paramref name="handle"/> for each request, one after the other.</summary>
    /// <param name="handle">Handles one request; the next is accepted when it returns.</param>
    /// <param name="accept">How a request is awaited; <see cref="HttpListener.GetContextAsync"/> unless a test of the loop replaces it.</param>
    public LoopbackHttpListener(Func<HttpListenerContext, Task> handle, Func<HttpListener, Task<HttpListenerContext>>? accept = null)
    {
        (Listener, Port) = Start();
        accept ??= static listener => listener.GetContextAsync();
        _loop = Task.Run(() => AcceptLoopAsync(handle, accept, _stop.Token));
    }

    public HttpListener Listener { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}/");

    /// <summary>Stops accepting, closes the listener and waits for the loop (and the request it is handling) to end.</summary>
    public async ValueTask DisposeAsync()
    {
        // Cancel first: the loop ends on the token even if the listener loses its pending accept while closing.
        await _stop.CancelAsync();
        Listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // A request cut by Close while its body was being read.
        }

        _stop.Dispose();
    }

    private static (HttpListener Listener, int Port) Start()
    {
        // HttpListener needs a concrete port: take a free one from the kernel. Another process may bind it between the
        // probe and Start, so try a few.
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < BindAttempts)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptLoopAsync(Func<HttpListenerContext, Task> handle, Func<HttpListener, Task<HttpListenerContext>> accept, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            var pending = accept(Listener);
            try
            {
                context = await pending.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // An accept abandoned here may still fail later (listener closed): observe that, nobody else will.
                _ = pending.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return;
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            await handle(context);
        }
    }
}
