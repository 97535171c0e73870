using System.Diagnostics;
using System.Text;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>Collects a process's stdout and stderr lines and lets a test wait for one that matches.</summary>
internal sealed class ProcessOutput
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _all = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    public ProcessOutput(Process process)
    {
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _all.ToString();
            }
        }
    }

    public int LineCount
    {
        get
        {
            lock (_gate)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Waits for a line, from line number <paramref name="from"/> on, that contains every fragment.</summary>
    public async Task<string> WaitForLineAsync(TimeSpan timeout, int from, params string[] fragments)
    {
        bool Match(string line) => fragments.All(f => line.Contains(f, StringComparison.Ordinal));
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_lines.Skip(from).FirstOrDefault(Match) is { } line)
            {
                return line;
            }

            _waiters.Add((Match, found));
        }

        try
        {
            return await found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no line with [{string.Join("] [", fragments)}] within {timeout.TotalSeconds}s; output so far:\n{Text}");
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _all.AppendLine(line);
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
