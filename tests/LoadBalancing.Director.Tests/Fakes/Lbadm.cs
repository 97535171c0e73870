using LoadBalancing.Cli;

namespace LoadBalancing.Director.Tests.Fakes;

/// <summary>Runs lbadm in-process with an empty environment and captures what it prints.</summary>
internal static class Lbadm
{
    public static Result Run(string[] args, string stdin = "", IReadOnlyDictionary<string, string?>? environment = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = LbadmApp.Run(args, new StringReader(stdin), stdout, stderr, name => environment?.GetValueOrDefault(name));
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    internal sealed record Result(int ExitCode, string Stdout, string Stderr);
}
