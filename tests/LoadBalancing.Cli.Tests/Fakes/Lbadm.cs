namespace LoadBalancing.Cli.Tests.Fakes;

/// <summary>Runs lbadm in-process against a temporary rules file and captures what it prints.</summary>
internal sealed class Lbadm : IDisposable
{
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("lbadm-test-").FullName;

    public string Directory => _directory;

    public string RulesFile => Path.Combine(_directory, "rules");

    public Result Run(string commandLine, string stdin = "")
        => Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries), stdin);

    public Result Run(string[] args, string stdin = "")
    {
        var stdout = new StringWriter();
        var result = Run(args, stdout, new LbadmConsole(), stdin);
        return result with { Stdout = stdout.ToString() };
    }

    /// <summary>Runs with a caller's stdout and console (for --watch); <see cref="Result.Stdout"/> is left empty.</summary>
    public Result Run(string[] args, TextWriter stdout, LbadmConsole console, string stdin = "")
    {
        var stderr = new StringWriter();
        var env = new Dictionary<string, string?> { ["LBADM_RULES_FILE"] = RulesFile };
        var code = LbadmApp.Run(args, new StringReader(stdin), stdout, stderr, name => env.GetValueOrDefault(name), console);
        return new Result(code, "", stderr.ToString());
    }

    public void Dispose() => System.IO.Directory.Delete(_directory, recursive: true);

    internal sealed record Result(int ExitCode, string Stdout, string Stderr);
}
