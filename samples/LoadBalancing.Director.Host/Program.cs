using LoadBalancing.Director;
using LoadBalancing.Director.Consul;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Director.Host;
using LoadBalancing.Director.Host.Demo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

if (args is ["demo", .. var demoArgs])
{
    return await DemoRunner.RunAsync(Console.Out, demoArgs);
}

// The director: rules file + discovery, health checks, a forwarder (proxy or Direct Routing), the control API lbadm talks to. Runs as a plain process or
// under systemd (Type=notify: READY/STOPPING notifications, watchdog pings when WatchdogSec is set).
// appsettings.json next to the binary: systemd starts services in /, not in the install directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSystemd();

// A failed start is printed below as one clear line per problem; the host's own error log would add a stack trace.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
if (Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService())
{
    builder.Services.AddHostedService<SystemdWatchdog>();
}

builder.Services.Configure<DirectorOptions>(builder.Configuration.GetSection("Director"));
var loadBalancing = builder.Services.AddLoadBalancing().AddDirector();

// Active checks, passive ejection (outlier detection fed by the proxy's connects) and quorum/sorry server per service.
if (HealthSettings.TryAdd(loadBalancing, builder.Configuration) is { Count: > 0 } healthErrors)
{
    foreach (var healthError in healthErrors)
    {
        await Console.Error.WriteLineAsync($"lb-director: {healthError}");
    }

    return 2;
}

// The forwarder: the userspace proxy (default; any OS, no privileges) or, on Linux, Direct Routing over raw sockets
// (Director:Forwarder=dr, options in Director:DirectRouting; root or CAP_NET_RAW, see docs/director.md).
if (ForwarderSettings.TryAdd(loadBalancing, builder.Configuration) is { } forwarderError)
{
    await Console.Error.WriteLineAsync($"lb-director: {forwarderError}");
    return 2;
}

// Discovery beyond the rules file: Consul when configured (a Director:Consul section, or CONSUL_HTTP_ADDR), otherwise
// the embedded registry on the control API, where agents (lbagent run) register with the same TTL semantics.
var consul = builder.Configuration.GetSection("Director:Consul");
if (consul.Exists() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONSUL_HTTP_ADDR")))
{
    builder.Services.Configure<ConsulDiscoveryOptions>(consul);
    loadBalancing.AddConsulDiscovery();
}
else
{
    builder.Services.Configure<EmbeddedRegistryOptions>(builder.Configuration.GetSection("Director:Registry"));
    loadBalancing.AddEmbeddedRegistry();
}

if (PrometheusEndpoint.TryAdd(builder.Services, builder.Configuration) is { } prometheusError)
{
    await Console.Error.WriteLineAsync($"lb-director: {prometheusError}");
    return 2;
}

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or UnauthorizedAccessException
    or System.Net.Sockets.SocketException or LoadBalancing.Forwarding.DirectRouting.BpfException or PlatformNotSupportedException)
{
    // Bad settings, an unreadable/invalid rules file, a forwarder socket that cannot be opened, a kernel fast path the
    // kernel refuses: one clear line each, no stack trace.
    var messages = e is OptionsValidationException v ? v.Failures : [e.Message];
    foreach (var message in messages)
    {
        await Console.Error.WriteLineAsync($"lb-director: {message}");
    }

    return 1;
}

return 0;
