using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Tests.DirectRouting;

/// <summary>
/// Drives samples/LoadBalancing.Director.Host/Demo/dr-lab.sh: namespaces with a unique short prefix, built per test and always torn down.
/// Also enters a namespace on a dedicated thread so in-process sockets are created there.
/// </summary>
internal sealed class NetLab : IAsyncDisposable
{
    public const string Vip = "10.77.0.100";
    public const string Vip6 = "fd77::100";
    private const int CloneNewNet = 0x40000000;
    private static readonly string[] RequiredTools = ["ip", "nginx", "nft", "ethtool", "curl", "bash"];

    private readonly string _script;

    private NetLab(string script, string prefix)
    {
        _script = script;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public string DirectorNamespace => $"{Prefix}-dir";

    public string ClientNamespace => $"{Prefix}-cli";

    /// <summary>Skips the test (fails it under CI=true) when the lab cannot run here.</summary>
    public static void RequireOrSkip()
    {
        string? reason = null;
        if (!OperatingSystem.IsLinux())
        {
            reason = "network namespaces need Linux";
        }
        else if (!Environment.IsPrivilegedProcess)
        {
            reason = "needs root (network namespaces, CAP_NET_RAW, CAP_NET_ADMIN)";
        }
        else if (RequiredTools.FirstOrDefault(t => FindTool(t) is null) is { } missing)
        {
            reason = $"'{missing}' is not installed (run tests/install-deps.sh)";
        }
        else if (FindScript() is null)
        {
            reason = "samples/LoadBalancing.Director.Host/Demo/dr-lab.sh not found above the test assembly";
        }

        if (reason is not null)
        {
            SkipOrFail(reason);
        }
    }

    /// <summary>Skips the test (fails it under CI=true) when <paramref name="tool"/>, needed beyond the lab's own, is missing.</summary>
    public static void RequireTool(string tool)
    {
        if (FindTool(tool) is null)
        {
            SkipOrFail($"'{tool}' is not installed (run tests/install-deps.sh)");
        }
    }

    /// <summary>Skips the test, or fails it under CI=true where every test must run.</summary>
    public static void SkipOrFail(string reason)
    {
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"DR end-to-end lab cannot run under CI=true: {reason}");
        }

        Assert.Skip($"DR end-to-end lab skipped: {reason}");
    }

    /// <summary>Builds the lab; <paramref name="mode"/> "dr" adds the director's VIP drop rule, "proxy" leaves it out.</summary>
    public static async Task<NetLab> StartAsync(int realServers, CancellationToken cancellationToken, string mode = "dr")
    {
        var lab = new NetLab(FindScript()!, "lbdr" + Random.Shared.Next(0x10000).ToString("x4"));
        try
        {
            await RunAsync(cancellationToken, "bash", lab._script, "up", lab.Prefix, realServers.ToString(), mode);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }

        return lab;
    }

    /// <summary>Runs <paramref name="action"/> on a new thread that has entered <paramref name="ns"/>'s network namespace.</summary>
    public static Task InNamespaceAsync(string ns, Func<Task> action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle($"/var/run/netns/{ns}"))
                {
                    if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                // Block this thread until the synchronous part (socket creation) and the rest are done; the thread
                // then ends, and with it its namespace membership. Sockets keep theirs.
                action().GetAwaiter().GetResult();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = $"netns {ns}" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Runs a command inside one of the lab's namespaces and returns its standard output.</summary>
    public Task<string> ExecAsync(string host, CancellationToken cancellationToken, params string[] command)
        => RunAsync(cancellationToken, ["ip", "netns", "exec", $"{Prefix}-{host}", .. command]);

    /// <summary>Opens a TCP connection to the VIP from inside the client namespace (the socket stays there).</summary>
    public async Task<System.Net.Sockets.Socket> ConnectVipFromClientAsync()
    {
        System.Net.Sockets.Socket? socket = null;
        await InNamespaceAsync(ClientNamespace, () =>
        {
            socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveTimeout = 5000, SendTimeout = 5000 };
            socket.Connect(System.Net.IPAddress.Parse(Vip), 80);
            return Task.CompletedTask;
        });
        return socket!;
    }

    /// <summary>One HTTP/1.1 keep-alive request on an open connection; returns the first word of the body ("rsN").</summary>
    public static string HttpGet(System.Net.Sockets.Socket socket)
    {
        socket.Send(System.Text.Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Vip}\r\n\r\n"));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var n = socket.Receive(buffer);
            if (n == 0)
            {
                throw new InvalidOperationException("connection closed before the response ended");
            }

            received.AddRange(buffer.AsSpan(0, n));
            var text = System.Text.Encoding.ASCII.GetString([.. received]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var lengthHeader = System.Text.RegularExpressions.Regex.Match(text, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            if (end >= 0 && lengthHeader.Success && text.Length >= end + 4 + int.Parse(lengthHeader.Groups[1].Value))
            {
                return text[(end + 4)..].Split(' ')[0];
            }
        }
    }

    /// <summary>Makes <paramref name="count"/> sequential HTTP requests to the VIP from the client, one connection each.</summary>
    public async Task<Dictionary<string, int>> CurlVipAsync(int count, CancellationToken cancellationToken, bool ipv6 = false)
    {
        var url = ipv6 ? $"http://[{Vip6}]/" : $"http://{Vip}/";
        var output = await ExecAsync("cli", cancellationToken, "bash", "-c",
            $"for i in $(seq {count}); do curl -s -g --max-time 3 {url} || echo FAIL; done");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .GroupBy(name => name)
            .ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>
    /// Makes <paramref name="count"/> HTTP requests to the VIP from one curl process in the client, each on a new
    /// connection (<c>Connection: close</c>), <paramref name="parallel"/> at a time; returns requests per server
    /// (failed requests print nothing, so a short total shows them). No per-transfer <c>--max-time</c>: curl 7.88
    /// starts that clock when a transfer is queued, so queued transfers fail at once; <c>timeout</c> bounds the run.
    /// </summary>
    /// <param name="count">The number of requests.</param>
    /// <param name="parallel">How many run at once.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <param name="firstPort">
    /// When set, the client's ephemeral ports are limited to firstPort..firstPort+999 for this and later batches, so a
    /// batch never reuses a port of an earlier batch. A SYN from a reused port whose connection entry is still in
    /// FIN_WAIT goes to that entry's server without a new scheduling (IPVS's conn_reuse_mode 1), which would blur
    /// what a scenario asserts about new connections after a table change.
    /// </param>
    public async Task<Dictionary<string, int>> CurlManyAsync(int count, int parallel, CancellationToken cancellationToken, int? firstPort = null)
    {
        var ports = firstPort is { } first ? $"sysctl -qw net.ipv4.ip_local_port_range='{first} {first + 999}' && " : "";
        var output = await ExecAsync("cli", cancellationToken, "bash", "-c",
            $"{ports}timeout 60 curl -s --no-progress-meter -Z --parallel-max {parallel} -H 'Connection: close' 'http://{Vip}/?[1-{count}]'; true");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .GroupBy(name => name)
            .ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Stops real server <paramref name="index"/>'s nginx (the lab's own process, by its pid file).</summary>
    public Task StopNginxAsync(int index, CancellationToken cancellationToken)
        => RunAsync(cancellationToken, "bash", _script, "nginx-stop", Prefix, index.ToString());

    /// <summary>Starts real server <paramref name="index"/>'s nginx again.</summary>
    public Task StartNginxAsync(int index, CancellationToken cancellationToken)
        => RunAsync(cancellationToken, "bash", _script, "nginx-start", Prefix, index.ToString());

    /// <summary>
    /// The packet counters of the director's VIP drop rules (the lab's netdev table <c>PREFIX_vip</c>): IPv4 rule
    /// first, then IPv6. A frame the tc classifier marked <c>PACKET_OTHERHOST</c> passes them uncounted.
    /// </summary>
    public async Task<long[]> VipDropCountersAsync(CancellationToken cancellationToken)
    {
        var ruleset = await ExecAsync("dir", cancellationToken, "nft", "list", "table", "netdev", $"{Prefix}_vip");
        return [.. System.Text.RegularExpressions.Regex.Matches(ruleset, @"counter packets (\d+) bytes").Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>The TCP resets the director's own kernel sent (<c>Tcp: OutRsts</c> of its namespace's /proc/net/snmp, IPv4 and IPv6).</summary>
    public async Task<long> DirectorTcpResetsAsync(CancellationToken cancellationToken)
    {
        var lines = (await ExecAsync("dir", cancellationToken, "cat", "/proc/net/snmp")).Split('\n').Where(l => l.StartsWith("Tcp:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "OutRsts")], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// One connection attempt from the client to the VIP with curl (3 s); returns curl's exit code: 0 answered,
    /// 7 refused (an RST), 28 timed out (nobody answered).
    /// </summary>
    public async Task<int> CurlVipExitCodeAsync(CancellationToken cancellationToken, bool ipv6 = false)
    {
        var url = ipv6 ? $"http://[{Vip6}]/" : $"http://{Vip}/";
        var output = await ExecAsync("cli", cancellationToken, "bash", "-c", $"curl -s -g --max-time 3 {url} >/dev/null; echo $?");
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The lab's scratch directory (removed by <c>down</c>).</summary>
    public string ScratchDirectory => $"/tmp/{Prefix}-scratch";

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await RunAsync(cts.Token, "bash", _script, "down", Prefix);
    }

    internal static async Task<string> RunAsync(CancellationToken cancellationToken, params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' exited with {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    internal static string? FindTool(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "LoadBalancing.Director.Host", "Demo", "dr-lab.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    // DllImport rather than LibraryImport: the generated stub would need AllowUnsafeBlocks in this project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
