using System.Net;

namespace LoadBalancing.Director.Host.Tests.Fixtures;

/// <summary>
/// What every test of the real host needs: a scratch directory for the director's rules and socket, a free virtual
/// service address on loopback, and the real servers the test starts (disposed with the test, as is the directory).
/// </summary>
public abstract class HostTestBed : IAsyncLifetime
{
    private readonly List<HttpRealServer> _servers = [];

    /// <summary>The director's working directory (rules file, control socket), removed after the test.</summary>
    protected string WorkDirectory { get; } = Directory.CreateTempSubdirectory("lbh-").FullName;

    /// <summary>A free TCP endpoint on loopback for the virtual service.</summary>
    protected IPEndPoint Vip { get; } = Traffic.FreeVirtualService();

    /// <summary>The real servers started with <see cref="Serve"/> or <see cref="ServeThree"/>, in start order.</summary>
    internal IReadOnlyList<HttpRealServer> Servers => _servers;

    /// <inheritdoc />
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Directory.Delete(WorkDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts a real HTTP server answering with <paramref name="name"/>, owned by the test.</summary>
    internal HttpRealServer Serve(string name, string address, int port = 0)
    {
        var server = new HttpRealServer(name, address, port);
        _servers.Add(server);
        return server;
    }

    /// <summary>Stops a real server the test started (a server that dies); it is no longer disposed with the test.</summary>
    internal async Task StopAsync(HttpRealServer server)
    {
        _servers.Remove(server);
        await server.DisposeAsync();
    }

    /// <summary>Starts rs1..rs3 on 127.0.0.2..4.</summary>
    internal void ServeThree()
    {
        foreach (var server in HttpRealServer.StartThree())
        {
            _servers.Add(server);
        }
    }
}
