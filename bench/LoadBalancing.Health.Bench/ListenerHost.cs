using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LoadBalancing.Health.Bench;

/// <summary>
/// The peers: N TCP listeners on 127.0.2.1–127.0.2.10 (1 000 ports per address at most), each accepting and
/// closing at once. Runs in a child process so its CPU is measured apart from the checker's.
/// </summary>
internal sealed class ListenerHost : IDisposable
{
    private const int PerAddress = 1000;
    private readonly Process _process;

    private ListenerHost(Process process) => _process = process;

    public int Pid => _process.Id;

    public static ListenerHost StartChild(int targets)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (!self.EndsWith("LoadBalancing.Health.Bench", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(ListenerHost).Assembly.Location); // run through "dotnet"
        }

        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(targets.ToString(CultureInfo.InvariantCulture));
        return new ListenerHost(Process.Start(info)!);
    }

    /// <summary>Waits for the child's list of bound endpoints (one per line, then "ready").</summary>
    public async Task<List<IPEndPoint>> ReadyAsync()
    {
        var list = new List<IPEndPoint>();
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "ready")
            {
                return list;
            }

            list.Add(IPEndPoint.Parse(line));
        }

        throw new InvalidOperationException($"listener child exited with {(_process.HasExited ? _process.ExitCode : -1)} before it was ready");
    }

    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    public static async Task<int> ServeAsync(int targets)
    {
        var sockets = new List<Socket>(targets);
        for (var i = 0; i < targets; i++)
        {
            var address = IPAddress.Parse($"127.0.2.{(i / PerAddress) + 1}");
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            socket.Listen(4096);
            sockets.Add(socket);
            Console.Out.WriteLine(socket.LocalEndPoint);
        }

        Console.Out.WriteLine("ready");
        await Console.Out.FlushAsync();
        var loops = sockets.Select(AcceptLoopAsync).ToArray();

        // Ends when the parent kills it, or after 15 minutes at most.
        await Task.WhenAny(Task.WhenAll(loops), Task.Delay(TimeSpan.FromMinutes(15)));
        return 0;
    }

    private static async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            // The probe resets its connection (SO_LINGER 0) right after the handshake; closing the accepted socket
            // at once is all a server has to do (waiting for a FIN to read cost this child more CPU than the checker).
            using var client = await listener.AcceptAsync();
        }
    }
}
