using LoadBalancing.Agent.Configuration;
using Microsoft.Extensions.Configuration;

namespace LoadBalancing.Agent.Cli;

/// <summary>
/// The agent's configuration: a JSON file (<c>--config</c>, default <c>/etc/lbagent/agent.json</c> when present),
/// then <c>LBAGENT_</c> environment variables, then the command line (<c>--Agent:Vips:0:Address=…</c> or the short switches).
/// </summary>
internal static class AgentConfiguration
{
    public const string DefaultConfigFile = "/etc/lbagent/agent.json";

    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--state-file"] = "Agent:StateFile",
        ["--bus"] = "Agent:SystemdBus",
        ["--unit-root"] = "Agent:UnitRoot",
        ["--lo"] = "Agent:LoopbackInterface",
    };

    public static IConfiguration Build(string[] arguments)
    {
        string? file = null;
        var rest = new List<string>();
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i] == "--config")
            {
                file = i + 1 < arguments.Length ? arguments[++i] : throw new AgentException("--config needs a file name");
            }
            else if (arguments[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                file = arguments[i]["--config=".Length..];
            }
            else
            {
                rest.Add(arguments[i]);
            }
        }

        if (file is not null && !File.Exists(file))
        {
            throw new AgentException($"--config: {file} does not exist");
        }

        file ??= File.Exists(DefaultConfigFile) ? DefaultConfigFile : null;
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        try
        {
            return builder.AddEnvironmentVariables("LBAGENT_").AddCommandLine([.. rest], Switches).Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or ArgumentException)
        {
            throw new AgentException($"configuration: {ex.Message}");
        }
    }

    /// <summary>Binds and validates; every problem is reported with the field it is about.</summary>
    public static AgentOptions Bind(IConfiguration configuration, out List<string> errors)
    {
        var options = new AgentOptions();
        try
        {
            configuration.GetSection(AgentOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            errors = [ex.Message];
            return options;
        }

        errors = AgentOptionsValidator.Collect(options).Select(e => $"{AgentOptions.SectionName}:{e}").ToList();
        return options;
    }
}
