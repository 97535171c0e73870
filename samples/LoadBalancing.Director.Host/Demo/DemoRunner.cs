using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using LoadBalancing.Forwarding.Proxy;
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
/// The zero-setup demo: three HTTP real servers on 127.0.0.2-4, a director in proxy mode on 127.0.0.1 with health
/// checks, whose table is built
/// through its control API exactly as <c>lbadm</c> would, a burst of requests, one server killed (it leaves) and
/// restarted (it rejoins), and the <c>lbadm -Ln</c> / <c>-Ln --stats</c> views along the way. No root, no
/// external services; exits 0 when every step behaved as described.
/// </summary>
internal static class DemoRunner
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Runs <c>demo [--mode proxy|dr]</c>.</summary>
    /// <returns>0 when every step behaved as described; 1 when a check failed; 2 when the demo cannot run here.</returns>
    public static async Task<int> RunAsync(TextWriter output, IReadOnlyList<string> args)
    {
        var mode = "proxy";
        string? lab = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--mode" when i + 1 < args.Count:
                    mode = args[++i];
                    break;
                case var a when a.StartsWith("--mode=", StringComparison.Ordinal):
                    mode = a["--mode=".Length..];
                    break;

                // Internal: the dr demo re-runs itself inside the lab's director namespace.
                case "--lab" when i + 1 < args.Count:
                    lab = args[++i];
                    break;
                default:
                    return await UsageAsync(args);
            }
        }

        return mode switch
        {
            "proxy" when lab is null => await RunProxyAsync(output),
            "dr" when OperatingSystem.IsLinux() => lab is null ? await DrDemoRunner.RunAsync(output) : await DrDemoRunner.RunInDirectorAsync(output, lab),
            "dr" => await FailAsync("demo --mode dr needs Linux (network namespaces, packet sockets); run `demo` for the proxy demo"),
            _ => await UsageAsync(args),
        };
    }

    internal static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"lb-director: {message}");
        return 2;
    }

    private static async Task<int> RunProxyAsync(TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var directory = Directory.CreateTempSubdirectory("lb-demo-").FullName;
        var realPort = FreePort();
        var virtualPort = FreePort();
        var vip = $"127.0.0.1:{virtualPort}";
        var servers = Enumerable.Range(1, 3)
            .Select(i => new DemoRealServer($"rs{i}", new IPEndPoint(IPAddress.Parse($"127.0.0.{i + 1}"), realPort)))
            .ToArray();
        var failures = 0;
        try
        {
            foreach (var server in servers)
            {
                server.Start();
            }

            output.WriteLine($"# three real servers: {string.Join(", ", servers.Select(s => $"{s.Name}={s.EndPoint}"))}");

            using var host = BuildDirector(directory);
            await host.StartAsync();
            var table = host.Services.GetRequiredService<ServiceTable>();
            var socket = $"{DirectorChannel.UnixPrefix}{Path.Combine(directory, "director.sock")}";
            output.WriteLine($"# director up; control API on {socket}");

            using var channel = DirectorChannel.Create(socket);
            var client = new Grpc.Control.Director.DirectorClient(channel);
            await LbadmAsync(
                output,
                client,
                $"-A -t {vip} -s wrr",
                $"-a -t {vip} -r {servers[0].EndPoint} -m -w 1",
                $"-a -t {vip} -r {servers[1].EndPoint} -m -w 2",
                $"-a -t {vip} -r {servers[2].EndPoint} -m -w 3");

            await ListAsync(output, client, ListOptions.Numeric);

            var key = RuleParser.ParseArguments(["-D", "-t", vip]).Service!.Value;
            var traffic = new VirtualServiceClient(IPEndPoint.Parse(vip));
            output.WriteLine($"# client -> {vip} (director, proxy mode) -> real servers");

            var first = await BurstAsync(output, traffic, 60);
            failures += Check(output, first.GetValueOrDefault("rs1") == 10 && first.GetValueOrDefault("rs2") == 20 && first.GetValueOrDefault("rs3") == 30, "wrr 1:2:3 gives 10/20/30 of 60");
            await ListAsync(output, client, ListOptions.Numeric | ListOptions.Stats);

            var victim = servers[1];
            output.WriteLine($"# killing {victim.Name} ({victim.EndPoint})");
            await victim.KillAsync();
            var left = await WaitForWeightAsync(table, key, victim.EndPoint, weight => weight == 0);
            failures += Check(output, left, $"health checks take {victim.Name} out (weight 0) at {clock.Elapsed.TotalSeconds:0.0}s");
            await ListAsync(output, client, ListOptions.Numeric);

            var during = await BurstAsync(output, traffic, 30);
            failures += Check(output, !during.ContainsKey(victim.Name) && during.Values.Sum() == 30, $"no request reaches {victim.Name} while it is down");

            output.WriteLine($"# restarting {victim.Name}");
            victim.Start();
            var rejoined = await WaitForWeightAsync(table, key, victim.EndPoint, weight => weight == 2);
            failures += Check(output, rejoined, $"{victim.Name} rejoins with weight 2 at {clock.Elapsed.TotalSeconds:0.0}s");
            await ListAsync(output, client, ListOptions.Numeric);

            var after = await BurstAsync(output, traffic, 60);
            failures += Check(output, after.GetValueOrDefault(victim.Name) > 0, $"{victim.Name} takes traffic again");
            await ListAsync(output, client, ListOptions.Numeric | ListOptions.Stats);

            failures += await RegistryAsync(output, channel, table, servers);

            await host.StopAsync();
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }

        output.WriteLine(failures == 0
            ? $"# demo finished in {clock.Elapsed.TotalSeconds:0.0}s: all checks passed"
            : $"# demo finished in {clock.Elapsed.TotalSeconds:0.0}s: {failures} check(s) FAILED");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// The embedded registry (what <c>lbagent run</c> uses when no Consul is configured): the real servers register a
    /// second virtual service on the control socket with TTL heartbeats, it appears, takes traffic, and a deregistered
    /// server leaves it.
    /// </summary>
    private static async Task<int> RegistryAsync(TextWriter output, GrpcChannel channel, ServiceTable table, DemoRealServer[] servers)
    {
        var failures = 0;
        var vip = $"127.0.0.1:{FreePort()}";
        var key = RuleParser.ParseArguments(["-D", "-t", vip]).Service!.Value;
        var registry = new Grpc.Registry.Registry.RegistryClient(channel);
        output.WriteLine($"# embedded registry: the real servers register virtual service {vip} on the control socket (tag lb.vs=tcp:{vip}), as lbagent run does without Consul");
        foreach (var server in servers)
        {
            var instance = new Grpc.Registry.Instance
            {
                Id = $"demo-{server.Name}",
                Name = "demo",
                Address = server.EndPoint.Address.ToString(),
                Port = (uint)server.EndPoint.Port,
                Tags = { $"lb.vs=tcp:{vip}" },
                Meta = { ["lb-forward"] = "masq", ["lb-scheduler"] = "rr" },
                WeightPassing = 1,
                TtlMs = 10_000,
            };
            await registry.RegisterAsync(new Grpc.Registry.RegisterRequest { Instance = instance });
            await registry.HeartbeatAsync(new Grpc.Registry.HeartbeatRequest { Id = instance.Id, Status = Grpc.Registry.HealthStatus.Passing });
        }

        var registered = true;
        foreach (var server in servers)
        {
            registered &= await WaitForWeightAsync(table, key, server.EndPoint, weight => weight == 1);
        }

        failures += Check(output, registered, $"{vip} appears with the three registered servers (weight 1 once passing)");
        var client = new Grpc.Control.Director.DirectorClient(channel);
        await ListAsync(output, client, ListOptions.Numeric);
        var traffic = new VirtualServiceClient(IPEndPoint.Parse(vip));
        var burst = await BurstAsync(output, traffic, 30);
        failures += Check(output, servers.All(s => burst.GetValueOrDefault(s.Name) == 10), "rr over the registered servers gives 10/10/10 of 30");

        var leaving = servers[2];
        output.WriteLine($"# {leaving.Name} deregisters (clean shutdown of its agent)");
        await registry.DeregisterAsync(new Grpc.Registry.DeregisterRequest { Id = $"demo-{leaving.Name}" });
        var address = NetworkAddress.FromIPAddress(leaving.EndPoint.Address);
        var gone = false;
        for (var deadline = Stopwatch.StartNew(); deadline.Elapsed < StepTimeout && !gone; await Task.Delay(50))
        {
            gone = table.TryGetService(key, out var service) && service.FindDestination(address, (ushort)leaving.EndPoint.Port) is null;
        }

        failures += Check(output, gone, $"{leaving.Name} leaves {vip}");
        var after = await BurstAsync(output, traffic, 20);
        failures += Check(output, !after.ContainsKey(leaving.Name) && after.Values.Sum() == 20, $"no request reaches {leaving.Name} after it deregistered");
        return failures;
    }

    private static IHost BuildDirector(string directory)
    {
        var builder = CreateDirectorBuilder(directory, out var loadBalancing);
        loadBalancing.AddEmbeddedRegistry().AddProxyForwarder(new ProxyForwarderOptions { ConnectTimeout = TimeSpan.FromSeconds(1) });
        builder.Services.AddHostedService<ProxyForwarderHostedService>();
        return builder.Build();
    }

    /// <summary>The demos' director: rules file and control socket in <paramref name="directory"/>, fast health checks; the caller adds a forwarder.</summary>
    internal static HostApplicationBuilder CreateDirectorBuilder(string directory, out ILoadBalancingBuilder loadBalancing)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("LoadBalancing.Health", LogLevel.Information);
        loadBalancing = builder.Services.AddLoadBalancing()
            .AddDirector(o =>
            {
                o.RulesFile = Path.Combine(directory, "rules");
                o.ControlSocketPath = Path.Combine(directory, "director.sock");
                o.WatchRulesFile = false;
                o.ReloadOnSighup = false;
            })
            .AddHealthChecks(o => o.DefaultPolicy = new HealthCheckPolicy
            {
                DelayLoop = TimeSpan.FromMilliseconds(250),
                ConnectTimeout = TimeSpan.FromMilliseconds(500),
                Rise = 2,
                Fall = 2,
                InhibitOnFailure = true,
                Jitter = 0,
            });
        return builder;
    }

    /// <summary>Prints each ipvsadm command line as typed at <c>lbadm</c> and applies it through the control API, as lbadm does.</summary>
    internal static async Task LbadmAsync(TextWriter output, Grpc.Control.Director.DirectorClient client, params string[] lines)
    {
        foreach (var line in lines)
        {
            output.WriteLine($"$ lbadm {line}");
            var command = RuleParser.ParseArguments(line.Split(' '), ServiceNameTable.Default);
            await client.RestoreAsync(new RestoreRequest { Commands = { ControlMapper.ToMessage(command) } });
        }
    }

    internal static async Task ListAsync(TextWriter output, Grpc.Control.Director.DirectorClient client, ListOptions options)
    {
        output.WriteLine((options & ListOptions.Stats) != 0 ? "$ lbadm -Ln --stats" : "$ lbadm -Ln");
        var table = await client.ListAsync(new ListRequest());
        IpvsListing.WriteList(output, ControlMapper.ToModel(table), options);
    }

    private static async Task<Dictionary<string, int>> BurstAsync(TextWriter output, VirtualServiceClient traffic, int count)
    {
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        var failed = 0;
        for (var i = 0; i < count; i++)
        {
            if (await traffic.SendAsync(CancellationToken.None) is { } name)
            {
                tally[name] = tally.GetValueOrDefault(name) + 1;
            }
            else
            {
                failed++;
            }
        }

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"# {count} requests: {string.Join(", ", tally.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))}{(failed > 0 ? $", failed={failed}" : "")}"));
        return tally;
    }

    internal static async Task<bool> WaitForWeightAsync(ServiceTable table, VirtualServiceKey key, IPEndPoint server, Func<int, bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        var address = NetworkAddress.FromIPAddress(server.Address);
        while (deadline.Elapsed < StepTimeout)
        {
            if (table.TryGetService(key, out var service) && service.FindDestination(address, (ushort)server.Port) is { } destination && condition(destination.Weight))
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    internal static int Check(TextWriter output, bool ok, string what)
    {
        output.WriteLine(ok ? $"# ok: {what}" : $"# FAILED: {what}");
        return ok ? 0 : 1;
    }

    private static Task<int> UsageAsync(IReadOnlyList<string> args)
        => FailAsync($"usage: demo [--mode proxy|dr] (got 'demo {string.Join(' ', args)}')");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
