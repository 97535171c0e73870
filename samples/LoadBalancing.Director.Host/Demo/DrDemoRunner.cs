using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Grpc;
using LoadBalancing.Grpc.Control;
using LoadBalancing.Health;
using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Director.Host.Demo;

/// <summary>
/// <c>demo --mode dr</c> (root, Linux): the demo's story on the real Direct-Routing forwarder. It builds an LVS-DR lab
/// in network namespaces with the shipped <c>Demo/dr-lab.sh</c> (client, director, three nginx real servers with the
/// VIP on <c>lo</c> and ARP suppressed, one bridge; names start with a random prefix), re-runs itself inside the
/// director's namespace, where the director forwards with raw frames on <c>eth0</c>, and removes every namespace
/// afterwards, also when a step fails.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class DrDemoRunner
{
    private const string Vip = "10.77.0.100";
    private const int CloneNewNet = 0x40000000;
    private static readonly string[] Tools = ["ip", "nginx", "nft", "ethtool", "bash"];
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(50);

    /// <summary>The outer process: lab up, the story in the director namespace, lab down.</summary>
    public static async Task<int> RunAsync(TextWriter output)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Demo", "dr-lab.sh");
        if (!Environment.IsPrivilegedProcess)
        {
            return await DemoRunner.FailAsync("demo --mode dr needs root (network namespaces, CAP_NET_RAW, CAP_NET_ADMIN); run `demo` for the proxy demo");
        }

        if (Tools.FirstOrDefault(t => FindTool(t) is null) is { } missing)
        {
            return await DemoRunner.FailAsync($"demo --mode dr needs '{missing}' (Debian: apt-get install iproute2 nginx-light nftables ethtool)");
        }

        if (!File.Exists(script))
        {
            return await DemoRunner.FailAsync($"demo --mode dr: {script} is missing next to the program");
        }

        var prefix = "lbdm" + Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var exitCode = 1;
        try
        {
            output.WriteLine($"# DR lab {prefix}: namespaces {prefix}-sw (bridge), {prefix}-cli (10.77.0.10), {prefix}-dir (10.77.0.2, VIP {Vip} on eth0), {prefix}-rs1..3 (10.77.0.21-23, nginx, VIP on lo, arp_ignore/arp_announce)");
            await RunToolAsync(output, "bash", script, "up", prefix, "3");
            output.WriteLine($"# lab up at {clock.Elapsed.TotalSeconds:0.0}s; the director runs inside {prefix}-dir");

            string[] self = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet"
                ? [Environment.ProcessPath!, "exec", typeof(DrDemoRunner).Assembly.Location]
                : [Environment.ProcessPath!];
            exitCode = await RunToolAsync(output, ["ip", "netns", "exec", $"{prefix}-dir", .. self, "demo", "--mode", "dr", "--lab", prefix], check: false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            output.WriteLine($"# FAILED: {e.Message}");
            exitCode = 1;
        }
        finally
        {
            await RunToolAsync(output, "bash", script, "down", prefix);
            var left = Directory.Exists("/var/run/netns") ? Directory.GetFiles("/var/run/netns", $"{prefix}-*") : [];
            output.WriteLine(left.Length == 0
                ? $"# lab {prefix} removed: no namespace left"
                : $"# FAILED: namespaces left behind: {string.Join(", ", left.Select(Path.GetFileName))}");
            if (left.Length > 0)
            {
                exitCode = 1;
            }
        }

        output.WriteLine(exitCode == 0
            ? $"# dr demo finished in {clock.Elapsed.TotalSeconds:0.0}s: all checks passed"
            : $"# dr demo finished in {clock.Elapsed.TotalSeconds:0.0}s: FAILED");
        return exitCode;
    }

    /// <summary>The inner process, inside the director namespace: the director with the DR forwarder and health checks.</summary>
    public static async Task<int> RunInDirectorAsync(TextWriter output, string prefix)
    {
        var clock = Stopwatch.StartNew();
        var script = Path.Combine(AppContext.BaseDirectory, "Demo", "dr-lab.sh");
        var directory = Directory.CreateTempSubdirectory("lb-drdemo-").FullName;
        var servers = Enumerable.Range(1, 3).Select(i => (Name: $"rs{i}", EndPoint: new IPEndPoint(IPAddress.Parse($"10.77.0.{20 + i}"), 80))).ToArray();
        var vip = $"{Vip}:80";
        var failures = 0;
        try
        {
            using var host = BuildDirector(directory);
            await host.StartAsync();
            var table = host.Services.GetRequiredService<ServiceTable>();
            var socket = $"{DirectorChannel.UnixPrefix}{Path.Combine(directory, "director.sock")}";
            output.WriteLine($"# director up (Direct Routing on eth0); control API on {socket}");

            using var channel = DirectorChannel.Create(socket);
            var client = new Grpc.Control.Director.DirectorClient(channel);
            await DemoRunner.LbadmAsync(
                output,
                client,
                $"-A -t {vip} -s wrr",
                $"-a -t {vip} -r {servers[0].EndPoint} -g -w 1",
                $"-a -t {vip} -r {servers[1].EndPoint} -g -w 2",
                $"-a -t {vip} -r {servers[2].EndPoint} -g -w 3");

            await DemoRunner.ListAsync(output, client, ListOptions.Numeric);

            // The forwarder learns real servers' MAC addresses from the kernel's neighbour table (filled by the
            // health checks' connects) within a refresh interval; wait for one answered request before counting.
            output.WriteLine($"# client ({prefix}-cli) -> {vip} (director, raw frames to the real servers' MACs) -> real servers answer the client directly");
            if (!await WarmUpAsync(prefix))
            {
                output.WriteLine("# FAILED: no answer through the VIP within 15 s");
                return 1;
            }

            var key = RuleParser.ParseArguments(["-D", "-t", vip]).Service!.Value;
            await ZeroAsync(client);
            var first = await BurstAsync(output, prefix, 60);
            failures += DemoRunner.Check(output, first.GetValueOrDefault("rs1") == 10 && first.GetValueOrDefault("rs2") == 20 && first.GetValueOrDefault("rs3") == 30, "wrr 1:2:3 gives 10/20/30 of 60");
            await DemoRunner.ListAsync(output, client, ListOptions.Numeric | ListOptions.Stats);

            var victim = servers[1];
            output.WriteLine($"# killing {victim.Name}'s nginx ({victim.EndPoint})");
            await RunToolAsync(output, "bash", script, "rs-stop", prefix, "2");
            var left = await DemoRunner.WaitForWeightAsync(table, key, victim.EndPoint, weight => weight == 0);
            failures += DemoRunner.Check(output, left, $"health checks take {victim.Name} out (weight 0) at {clock.Elapsed.TotalSeconds:0.0}s");
            await DemoRunner.ListAsync(output, client, ListOptions.Numeric);

            var during = await BurstAsync(output, prefix, 30);
            failures += DemoRunner.Check(output, !during.ContainsKey(victim.Name) && during.Values.Sum() == 30, $"no request reaches {victim.Name} while it is down");

            output.WriteLine($"# restarting {victim.Name}'s nginx");
            await RunToolAsync(output, "bash", script, "rs-start", prefix, "2");
            var rejoined = await DemoRunner.WaitForWeightAsync(table, key, victim.EndPoint, weight => weight == 2);
            failures += DemoRunner.Check(output, rejoined, $"{victim.Name} rejoins with weight 2 at {clock.Elapsed.TotalSeconds:0.0}s");

            var after = await BurstAsync(output, prefix, 60);
            failures += DemoRunner.Check(output, after.GetValueOrDefault(victim.Name) > 0 && after.Values.Sum() == 60, $"{victim.Name} takes traffic again");
            await DemoRunner.ListAsync(output, client, ListOptions.Numeric | ListOptions.Stats);

            var forwarder = host.Services.GetRequiredService<DirectRoutingForwarder>();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# forwarder: {forwarder.Statistics.Forwarded} frames forwarded, {forwarder.Statistics.SendErrors} send errors"));
            await host.StopAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return failures == 0 ? 0 : 1;
    }

    private static IHost BuildDirector(string directory)
    {
        var builder = DemoRunner.CreateDirectorBuilder(directory, out var loadBalancing);
        loadBalancing.AddDirectRoutingForwarder(o =>
        {
            o.InterfaceName = "eth0";
            o.Workers = 1;
            o.StartupResolutionTimeout = TimeSpan.FromSeconds(2);
        });
        builder.Services.AddHostedService<DirectRoutingForwarderHostedService>();
        return builder.Build();
    }

    private static async Task ZeroAsync(Grpc.Control.Director.DirectorClient client) => await client.ZeroAsync(new ZeroRequest());

    private static async Task<bool> WarmUpAsync(string prefix)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            var answers = await InClientNamespaceAsync(prefix, () => Enumerable.Range(0, 6).Select(_ => Get()).ToList());
            if (answers.All(a => a is not null))
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }

    private static async Task<Dictionary<string, int>> BurstAsync(TextWriter output, string prefix, int count)
    {
        var answers = await InClientNamespaceAsync(prefix, () => Enumerable.Range(0, count).Select(_ => Get()).ToList());
        var tally = answers.Where(a => a is not null).GroupBy(a => a!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var failed = answers.Count(a => a is null);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"# {count} requests: {string.Join(", ", tally.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}{(failed > 0 ? $", failed={failed}" : "")}"));
        return tally;
    }

    // One HTTP/1.0 request per connection from the client namespace; nginx answers "rsN 10.77.0.2N". Null on failure.
    private static string? Get()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 3000, SendTimeout = 3000 };
            var connect = socket.ConnectAsync(IPAddress.Parse(Vip), 80);
            if (!connect.Wait(TimeSpan.FromSeconds(3)))
            {
                return null;
            }

            socket.Send(Encoding.ASCII.GetBytes($"GET / HTTP/1.0\r\nHost: {Vip}\r\n\r\n"));
            var response = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                response.Write(buffer, 0, n);
            }

            var text = Encoding.ASCII.GetString(response.ToArray());
            var body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            return body < 0 ? null : text[(body + 4)..].Split(' ')[0];
        }
        catch (Exception e) when (e is SocketException or AggregateException or IOException)
        {
            return null;
        }
    }

    // Sockets belong to the namespace of the thread that creates them: a dedicated thread enters the client's.
    private static Task<T> InClientNamespaceAsync<T>(string prefix, Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle($"/var/run/netns/{prefix}-cli"))
                {
                    if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                    {
                        throw new IOException($"setns({prefix}-cli) failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                done.SetResult(action());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "demo client" };
        thread.Start();
        return done.Task;
    }

    private static async Task<int> RunToolAsync(TextWriter output, params string[] command) => await RunToolAsync(output, command, check: true);

    private static async Task<int> RunToolAsync(TextWriter output, string[] command, bool check)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        var errors = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            // The lab script prints its variables; the inner demo prints the story: only the story is shown.
            if (e.Data is { } line && !line.StartsWith("LAB_", StringComparison.Ordinal))
            {
                output.WriteLine(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.AppendLine(line);
                }

                output.WriteLine(line);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Budget);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"'{string.Join(' ', command)}' did not finish within {Budget.TotalSeconds}s");
        }

        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' exited with {process.ExitCode}: {errors.ToString().Trim()}");
        }

        return process.ExitCode;
    }

    private static string? FindTool(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    // DllImport rather than LibraryImport: the generated stub would need AllowUnsafeBlocks in this project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
