namespace LoadBalancing.Director.Host.Demo;

/// <summary>How the demo's client reaches the real servers: through the forwarder on the virtual address, or (until a forwarder is wired in) by the director's scheduler directly.</summary>
internal interface IDemoTraffic
{
    /// <summary>Gets a one-line description for the demo's output.</summary>
    string Description { get; }

    /// <summary>Sends one HTTP request; returns the answering server's name, or <see langword="null"/> when it failed.</summary>
    Task<string?> SendAsync(int sequence, CancellationToken cancellationToken);
}
