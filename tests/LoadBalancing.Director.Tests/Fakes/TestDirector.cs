using LoadBalancing.Director.Configuration;
using LoadBalancing.Director.Control;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Director.Tests.Fakes;

/// <summary>A real director host in a temporary directory: rules file and control socket inside it.</summary>
internal sealed class TestDirector : IAsyncDisposable
{
    private readonly IHost _host;

    private TestDirector(IHost host, string directory)
    {
        _host = host;
        Directory = directory;
    }

    public string Directory { get; }

    public string RulesFile => Path.Combine(Directory, "rules");

    public string SocketAddress => _host.Services.GetRequiredService<ControlApiHost>().SocketAddress!;

    public Uri? TcpAddress => _host.Services.GetRequiredService<ControlApiHost>().TcpAddress;

    public DirectorTable Table => _host.Services.GetRequiredService<DirectorTable>();

    public IServiceProvider Services => _host.Services;

    public static async Task<TestDirector> StartAsync(string? directory = null, Action<DirectorOptions>? configure = null, Action<ILoadBalancingBuilder>? services = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("lbdir-").FullName;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var lb = builder.Services.AddLoadBalancing();
        services?.Invoke(lb);
        lb.AddDirector(o =>
        {
            o.RulesFile = Path.Combine(directory, "rules");
            o.ControlSocketPath = Path.Combine(directory, "director.sock");

            // Tests reload explicitly; no timing involved.
            o.WatchRulesFile = false;
            o.ReloadOnSighup = false;
            configure?.Invoke(o);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new TestDirector(host, directory);
    }

    /// <summary>Stops the host but keeps the directory, so a new director can start on the same files.</summary>
    public async Task StopAsync()
    {
        await _host.StopAsync(TestContext.Current.CancellationToken);
        _host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public Lbadm.Result Lbadm(string commandLine, string stdin = "") => Fakes.Lbadm.Run(["--director", SocketAddress, .. Split(commandLine)], stdin);

    public Lbadm.Result LbadmFile(string rulesFile, string commandLine, string stdin = "") => Fakes.Lbadm.Run(["--rules-file", rulesFile, .. Split(commandLine)], stdin);

    private static string[] Split(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
