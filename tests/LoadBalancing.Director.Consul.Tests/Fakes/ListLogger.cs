using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Director.Consul.Tests.Fakes;

/// <summary>Collects log entries (event ID, level, text) so tests can assert what was said and wait for it.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _entries.Enqueue(new Entry(eventId.Id, logLevel, formatter(state, exception)));
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _logged;
            _logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        old.TrySetResult();
    }

    /// <summary>Waits until an entry with <paramref name="eventId"/> was logged (20 s safety timeout).</summary>
    public async Task<Entry> WaitForAsync(int eventId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            Task next;
            lock (_gate)
            {
                next = _logged.Task;
            }

            if (_entries.FirstOrDefault(e => e.EventId == eventId) is { } found)
            {
                return found;
            }

            await next.WaitAsync(timeout.Token);
        }
    }

    public void Dispose()
    {
    }

    internal sealed record Entry(int EventId, LogLevel Level, string Message);
}
