using System.Diagnostics;
using LoadBalancing.Agent.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Agent.Cli;

/// <summary>The verbs. Exit codes: 0 done, 1 the host could not be brought to the configured state, 2 bad usage or configuration.</summary>
internal static class AgentCommand
{
    /// <summary>Test hook: kill the process with SIGKILL after this apply step (0 = state file written) to prove crash recovery.</summary>
    internal const string KillAfterStepVariable = "LBAGENT_TEST_KILL_AFTER_STEP";

    private const string Usage = """
        usage: lbagent <plan|apply|revert|run|drain> [--config FILE] [--state-file FILE] [--bus ADDRESS] [--unit-root DIR] [--Agent:Key=value ...]
          plan     print what would change on this host; change nothing
          apply    make this host match the configuration (idempotent)
          revert   restore exactly what apply changed (from the state file)
          run      apply, keep it applied (re-add what was removed, report drift), revert on stop; systemd Type=notify;
                   registers Agent:Registration:Services in Consul or the director's registry, deregisters on stop
          drain    put the registered instances into maintenance (weight 0 on the director); --off undoes it; --reason TEXT
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? error : output).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var verb = args[0];
        if (verb is not ("plan" or "apply" or "revert" or "run" or "drain"))
        {
            error.WriteLine($"lbagent: unknown command '{verb}'");
            error.WriteLine(Usage);
            return 2;
        }

        AgentOptions options;
        Microsoft.Extensions.Configuration.IConfiguration configuration;
        var drainOff = false;
        string? drainReason = null;
        try
        {
            var rest = verb == "drain" ? DrainCommand.ParseFlags(args[1..], out drainOff, out drainReason) : args[1..];
            configuration = AgentConfiguration.Build(rest);
            options = AgentConfiguration.Bind(configuration, out var errors);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    error.WriteLine($"lbagent: configuration error: {e}");
                }

                return 2;
            }
        }
        catch (AgentException ex)
        {
            error.WriteLine($"lbagent: {ex.Message}");
            return 2;
        }

        if (verb == "drain")
        {
            try
            {
                return await DrainCommand.RunAsync(options, drainOff, drainReason, output, error, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AgentException ex)
            {
                error.WriteLine($"lbagent: drain: {ex.Message}");
                return 2;
            }
        }

        var agent = new RealServerAgent(options);
        if (Environment.GetEnvironmentVariable(KillAfterStepVariable) is { } kill && int.TryParse(kill, out var killStep))
        {
            agent.AfterStep = step =>
            {
                if (step == killStep)
                {
                    Process.GetCurrentProcess().Kill();
                }
            };
        }

        using var cancellation = new CancellationTokenSource();
        try
        {
            switch (verb)
            {
                case "plan":
                    PrintPlan(output, await agent.PlanAsync(cancellation.Token).ConfigureAwait(false), "would change");
                    return 0;
                case "apply":
                    PrintPlan(output, await agent.ApplyAsync(cancellation.Token).ConfigureAwait(false), "changed");
                    return 0;
                case "revert":
                    var done = await agent.RevertAsync(cancellation.Token).ConfigureAwait(false);
                    output.WriteLine(done.Count == 0 ? $"nothing to revert (no changes recorded in {options.StateFile})" : $"reverted {done.Count} change(s):");
                    foreach (var line in done)
                    {
                        output.WriteLine($"  - {line}");
                    }

                    return 0;
                default:
                    return await RunServiceAsync(agent, configuration).ConfigureAwait(false);
            }
        }
        catch (AgentException ex)
        {
            error.WriteLine($"lbagent: {verb} failed: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Operators get one line, not a stack trace; the type name says which layer failed.
            error.WriteLine($"lbagent: {verb} failed: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
    }

    private static void PrintPlan(TextWriter output, Planning.AgentPlan plan, string verb)
    {
        output.WriteLine(plan.IsEmpty ? "no changes: this host already matches the configuration" : $"{verb} {plan.Changes.Count} item(s):");
        foreach (var change in plan.Changes)
        {
            output.WriteLine($"  + {change}");
        }

        foreach (var note in plan.Notes)
        {
            output.WriteLine($"  = {note}");
        }
    }

    private static async Task<int> RunServiceAsync(RealServerAgent agent, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddSystemd();

        // AddSystemd registers the notifier only under systemd; the service pings through it either way (a no-op outside).
        builder.Services.TryAddSingleton<Microsoft.Extensions.Hosting.Systemd.ISystemdNotifier, Microsoft.Extensions.Hosting.Systemd.SystemdNotifier>();
        builder.Services.AddSingleton(agent);
        builder.Services.AddHostedService<AgentService>();
        if (agent.Options.Registration.IsEnabled)
        {
            // After AgentService, so it stops first: deregister before the VIPs are reverted.
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.AddHostedService<RegistrationService>();
        }

        using var host = builder.Build();
        await host.RunAsync().ConfigureAwait(false);
        return Environment.ExitCode;
    }
}
