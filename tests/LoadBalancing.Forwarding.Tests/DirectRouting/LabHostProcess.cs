using System.Diagnostics;
using System.Threading.Channels;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// lb-labhost (tests/LoadBalancing.Forwarding.LabHost) running one forwarder and the health checker inside the lab's
/// director namespace: the whole process lives there, so every socket it opens (listeners, the proxy's connections to
/// the real servers, health probes, packet sockets) is in the lab. Driven by line commands on stdin.
/// </summary>
internal sealed class LabHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly System.Text.StringBuilder _stderr = new();
    private int _consumedEvents;
    private bool _disposed;

    private LabHostProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
    }

    /// <summary>Lines the host printed outside command answers (health changes), in order.</summary>
    public List<string> Events { get; } = [];

    /// <summary>Starts the host in <paramref name="ns"/> and waits for "ready".</summary>
    public static async Task<LabHostProcess> StartAsync(string ns, CancellationToken cancellationToken, params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : NetLab.FindTool("dotnet") ?? throw new InvalidOperationException("dotnet not found on PATH");
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["netns", "exec", ns, dotnet, Path.Combine(AppContext.BaseDirectory, "lb-labhost.dll"), .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        var host = new LabHostProcess(Process.Start(info)!);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        try
        {
            await host.WaitForAsync(line => line == "ready", TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>Sends a command and returns the lines of its answer up to "ok"; throws on "error: ...".</summary>
    public async Task<List<string>> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(command.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        var answer = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var line = await ReadLineAsync(timeout.Token);
            if (line == "ok")
            {
                return answer;
            }

            if (line.StartsWith("error:", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"lb-labhost: {command}: {line}");
            }

            if (line.StartsWith("health ", StringComparison.Ordinal))
            {
                Events.Add(line);
            }
            else
            {
                answer.Add(line);
            }
        }
    }

    /// <summary>Table connections per real server address ("stats": conns=).</summary>
    public async Task<Dictionary<string, long>> ConnectionsPerServerAsync(CancellationToken cancellationToken)
        => (await CommandAsync("stats", cancellationToken)).Where(l => l.StartsWith("server ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[1], p => long.Parse(p.First(f => f.StartsWith("conns=", StringComparison.Ordinal))["conns=".Length..]));

    /// <summary>
    /// Waits until the host prints a line matching <paramref name="match"/>; health events already received count if
    /// they came after the last event an earlier wait matched.
    /// </summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var i = _consumedEvents; i < Events.Count; i++)
        {
            if (match(Events[i]))
            {
                _consumedEvents = i + 1;
                return Events[i];
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            var line = await ReadLineAsync(cts.Token);
            var isEvent = line.StartsWith("health ", StringComparison.Ordinal);
            if (isEvent)
            {
                Events.Add(line);
            }

            if (match(line))
            {
                _consumedEvents = isEvent ? Events.Count : _consumedEvents;
                return line;
            }
        }
    }

    /// <summary>Kills the host (SIGKILL, by its process id) and waits for it to exit, as a crash would end it.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _lines.Reader.WaitToReadAsync(cancellationToken) && _lines.Reader.TryRead(out var line))
            {
                return line;
            }
        }
        catch (OperationCanceledException) when (!_process.HasExited)
        {
            throw new TimeoutException($"lb-labhost did not answer in time; events so far: {string.Join(" | ", Events)}");
        }

        string stderr;
        lock (_stderr)
        {
            stderr = _stderr.ToString();
        }

        throw new InvalidOperationException($"lb-labhost exited: {stderr}");
    }
}
