using LoadBalancing.Director;
using LoadBalancing.Director.Host;
using LoadBalancing.Director.Host.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

if (args is ["demo", ..])
{
    return await DemoRunner.RunAsync(Console.Out);
}

// The director: rules file + discovery, health checks, the userspace proxy forwarder, the control API lbadm talks to. Runs as a plain process or
// under systemd (Type=notify: READY/STOPPING notifications, watchdog pings when WatchdogSec is set).
// appsettings.json next to the binary: systemd starts services in /, not in the install directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSystemd();
if (Microsoft.Extensions.Hosting.Systemd.SystemdHelpers.IsSystemdService())
{
    builder.Services.AddHostedService<SystemdWatchdog>();
}

builder.Services.Configure<DirectorOptions>(builder.Configuration.GetSection("Director"));
builder.Services.AddLoadBalancing().AddDirector().AddHealthChecks().AddProxyForwarder();
builder.Services.AddHostedService<ProxyForwarderHostedService>();

using var host = builder.Build();
await host.RunAsync();
return 0;
