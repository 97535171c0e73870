namespace LoadBalancing.Cli.Tests.Fakes;

/// <summary>Runs lbadm in-process against a temporary rules file and captures what it prints.</summary>
internal sealed class Lbadm : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lbadm-test-").FullName;

    public string RulesFile => Path.Combine(_directory, "rules");

    public Result Run(string commandLine, string stdin = "")
        => Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), stdin);

    public Result Run(string[] args, string stdin = "")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new Dictionary<string, string?> { ["LBADM_RULES_FILE"] = RulesFile };
        var code = LbadmApp.Run(args, new StringReader(stdin), stdout, stderr, name => env.GetValueOrDefault(name));
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal sealed record Result(int ExitCode, string Stdout, string Stderr);
}
