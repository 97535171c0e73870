using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Health;
using LoadBalancing.Health.Bench;
using LoadBalancing.Health.Probes;
using LoadBalancing.Model;

// Probing N TCP targets on loopback at a 1 s delay loop with the real HealthChecker and TcpProbe.
// The listeners run in a child process (this program with "serve"), so the CPU figure is the checker's alone.
//   health-bench [targets=10000] [seconds=60] [warmup=10] [tcp|noop]
// "noop" replaces the TCP probe with one that answers up at once: the checker engine's own cost (timers, jitter,
// concurrency limit, rise/fall, metrics) without the kernel's TCP work.
//   health-bench serve <targets>
if (args.Length >= 1 && args[0] == "serve")
{
    return await ListenerHost.ServeAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}

var targets = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
var warmup = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var noop = args.Length > 3 && args[3] == "noop";
seconds = Math.Clamp(seconds, 1, 600);

using var server = ListenerHost.StartChild(targets);
var endpoints = await server.ReadyAsync();
Console.WriteLine($"listeners: {endpoints.Count} in child pid {server.Pid}");

var probe = new CountingProbe(noop ? new NoopProbe() : HealthProbes.Tcp(new TcpProbeOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }));
var policy = new HealthCheckPolicy { DelayLoop = TimeSpan.FromSeconds(1), ConnectTimeout = TimeSpan.FromSeconds(2), Rise = 2, Fall = 3, Jitter = 0.1 };
var transitions = 0;
await using var checker = new HealthChecker();
checker.Changed += (_, c) =>
{
    if (c.State != c.PreviousState)
    {
        Interlocked.Increment(ref transitions);
    }
};
for (var i = 0; i < endpoints.Count; i++)
{
    checker.Add(new HealthCheckTarget($"t{i}", ProbeTarget.FromIPEndPoint(endpoints[i]), probe, policy));
}

checker.Start();
await Task.Delay(TimeSpan.FromSeconds(warmup));

using var self = Process.GetCurrentProcess();
self.Refresh();
var cpu0 = self.TotalProcessorTime;
var user0 = self.UserProcessorTime;
var child0 = server.CpuTime();
var checks0 = probe.Calls;
var fails0 = probe.Failures;
var wall = Stopwatch.StartNew();
long peakHeap = 0;
for (var s = 0; s < seconds; s++)
{
    await Task.Delay(1000);
    if (Environment.GetEnvironmentVariable("HEALTH_BENCH_TRACE") == "1")
    {
        Console.Error.WriteLine($"t+{s + 1}s calls {probe.Calls} in flight {probe.InFlight}");
    }

    peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
}

self.Refresh();
var elapsed = wall.Elapsed.TotalSeconds;
var cpu = (self.TotalProcessorTime - cpu0).TotalSeconds;
var user = (self.UserProcessorTime - user0).TotalSeconds;
var childCpu = (server.CpuTime() - child0).TotalSeconds;
var checks = probe.Calls - checks0;
var fails = probe.Failures - fails0;
var up = endpoints.Count(e => checker.TryGetStatus($"t{endpoints.IndexOf(e)}", out var st, out _) && st == HealthState.Up);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probe {probe.Name}, targets {targets}, delay loop 1 s, measured {elapsed:0.0} s after {warmup} s warm-up"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probes: {checks} ({checks / elapsed:0} /s), failed {fails}, transitions {transitions}, up at end {up}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checker process CPU: {cpu:0.00} s = {100 * cpu / elapsed:0.0}% of one core (user {100 * user / elapsed:0.0}%, kernel {100 * (cpu - user) / elapsed:0.0}%)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"listener child CPU (not the checker): {childCpu:0.00} s = {100 * childCpu / elapsed:0.0}% of one core"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set (VmHWM): {self.PeakWorkingSet64 / 1048576.0:0.0} MB, working set now {self.WorkingSet64 / 1048576.0:0.0} MB"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC heap: peak {peakHeap / 1048576.0:0.0} MB, gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, allocated {GC.GetTotalAllocatedBytes() / 1048576.0:0} MB total"));
return 0;
