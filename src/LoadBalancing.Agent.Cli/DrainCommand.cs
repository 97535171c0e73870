using LoadBalancing.Agent.Configuration;
using LoadBalancing.Agent.Registration;

namespace LoadBalancing.Agent.Cli;

/// <summary>
/// <c>lbagent drain [--off] [--reason TEXT]</c>: puts every registered instance of this server into maintenance mode
/// (Consul's service maintenance, or the embedded registry's): the director sets their weight to 0, established
/// connections finish. <c>--off</c> takes them out of maintenance again.
/// </summary>
internal static class DrainCommand
{
    /// <summary>Removes <c>--off</c> and <c>--reason TEXT</c> from the arguments; the rest is configuration.</summary>
    public static string[] ParseFlags(string[] arguments, out bool off, out string? reason)
    {
        off = false;
        reason = null;
        var rest = new List<string>();
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case "--off":
                    off = true;
                    break;
                case "--reason":
                    reason = i + 1 < arguments.Length ? arguments[++i] : throw new AgentException("--reason needs a text");
                    break;
                default:
                    if (arguments[i].StartsWith("--reason=", StringComparison.Ordinal))
                    {
                        reason = arguments[i]["--reason=".Length..];
                    }
                    else
                    {
                        rest.Add(arguments[i]);
                    }

                    break;
            }
        }

        return [.. rest];
    }

    public static async Task<int> RunAsync(AgentOptions options, bool off, string? reason, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!options.Registration.IsEnabled)
        {
            error.WriteLine("lbagent: drain: no Agent:Registration:Services are configured; nothing to drain");
            return 2;
        }

        using var registry = ServiceRegistryFactory.Create(options.Registration, Environment.GetEnvironmentVariable);
        var failed = 0;
        foreach (var registration in AgentRegistration.FromOptions(options))
        {
            try
            {
                if (await registry.SetMaintenanceAsync(registration, !off, reason ?? "lbagent drain", cancellationToken).ConfigureAwait(false))
                {
                    output.WriteLine($"{(off ? "undrained" : "drained")} {registration.Id} ({registration.Tags[0]}) in {registry.Description}");
                }
                else
                {
                    error.WriteLine($"lbagent: drain: {registration.Id} is not registered in {registry.Description} (is `lbagent run` running?)");
                    failed++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                error.WriteLine($"lbagent: drain: {registration.Id}: {e.GetType().Name}: {e.Message}");
                failed++;
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
