using System.Net;
using System.Threading.Channels;
using LoadBalancing.Consul.Internal;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>
/// A real HTTP server on 127.0.0.1 that stands in for a Consul agent: it records every request and answers with
/// the scripted responses in order. When the script is exhausted it holds requests unanswered, the way a
/// blocking query waits, until more responses are enqueued or the server is disposed.
/// </summary>
internal sealed class ConsulTestServer : IAsyncDisposable
{
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(20);

    private readonly LoopbackHttpListener _listener;
    private readonly Channel<RecordedRequest> _requests = Channel.CreateUnbounded<RecordedRequest>();
    private readonly Queue<ScriptedResponse> _script = new();
    private readonly Queue<HttpListenerContext> _held = new();
    private readonly List<RecordedRequest> _all = [];
    private readonly Lock _gate = new();

    /// <summary>Starts listening on a free 127.0.0.1 port.</summary>
    /// <param name="accept">How the accept loop awaits a request (see <see cref="LoopbackHttpListener"/>); tests of the fake replace it.</param>
    public ConsulTestServer(Func<HttpListener, Task<HttpListenerContext>>? accept = null)
    {
        _listener = new LoopbackHttpListener(HandleAsync, accept);
    }

    public int Port => _listener.Port;

    public Uri Address => _listener.Address;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    public ConsulClient CreateClient(TimeProvider? timeProvider = null, string? token = null, Func<double>? jitter = null, Func<ConsulClientOptions, ConsulClientOptions>? configure = null)
    {
        var options = new ConsulClientOptions { Address = Address, Token = token };
        return new ConsulClient(configure?.Invoke(options) ?? options, timeProvider ?? new FakeTimeProvider(), jitter: jitter ?? (() => 1.0));
    }

    public ConsulTestServer Enqueue(params ScriptedResponse[] responses)
    {
        lock (_gate)
        {
            foreach (var response in responses)
            {
                if (_held.TryDequeue(out var waiting))
                {
                    Respond(waiting, response);
                }
                else
                {
                    _script.Enqueue(response);
                }
            }
        }

        return this;
    }

    /// <summary>The next request received (waits for it, with a safety timeout so a broken test fails instead of hanging).</summary>
    public async Task<RecordedRequest> NextRequestAsync() => await _requests.Reader.ReadAsync().AsTask().WaitAsync(SafetyTimeout);

    public async ValueTask DisposeAsync() => await _listener.DisposeAsync();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var recorded = await RecordedRequest.ReadAsync(context.Request);
        lock (_gate)
        {
            _all.Add(recorded);
            if (_script.TryDequeue(out var response))
            {
                Respond(context, response);
            }
            else
            {
                _held.Enqueue(context);
            }
        }

        _requests.Writer.TryWrite(recorded);
    }

    private static void Respond(HttpListenerContext context, ScriptedResponse scripted)
    {
        var response = context.Response;
        response.StatusCode = scripted.Status;
        response.ContentType = scripted.ContentType;
        foreach (var (name, value) in scripted.Headers)
        {
            response.Headers[name] = value;
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(scripted.Body);
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }
}
