using System.Text.RegularExpressions;
using LoadBalancing.Cli.Tests.Fakes;

namespace LoadBalancing.Cli.Tests;

/// <summary>lbadm -R fed a few hundred mutations of a valid file: a located error and an untouched rules file, or a clean restore.</summary>
public sealed partial class LbadmRestoreMutationTests : IDisposable
{
    private static readonly string[] Garbage = ["-p", "-R", "-L", "#", "[", "]:", "::", "99999999999", "-1", "0", "-6", "--tun-port", "-b", ",", "-w", "ipvsadm", "\t", "-Z", "-C"];

    private readonly Lbadm _lbadm = new();

    public void Dispose() => _lbadm.Dispose();

    [Fact]
    public void Restore_MutatedFiles_FailWithLocatedErrorAndLeaveRulesFileByteIdentical()
    {
        var valid = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "demo.rules"));
        var lines = valid.Split('\n');
        var words = valid.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Concat(Garbage).Distinct().ToArray();
        Assert.Equal(0, _lbadm.Run("-A -t 10.99.0.1:80 -s rr").ExitCode);
        Assert.Equal(0, _lbadm.Run("-a -t 10.99.0.1:80 -r 10.99.0.2 -x 9").ExitCode);
        var before = File.ReadAllBytes(_lbadm.RulesFile);
        var failures = 0;

        for (var seed = 1; seed <= 300; seed++)
        {
            var random = new Random(seed);
            var mutated = (string[])lines.Clone();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var i = random.Next(mutated.Length);
                mutated[i] = Mutate(mutated[i], random, words);
            }

            var input = string.Join('\n', mutated);
            var result = _lbadm.Run(["-R"], input);
            var context = $"seed {seed}: exit {result.ExitCode}, stderr {result.Stderr}\n{input}";

            if (result.ExitCode == 0)
            {
                Assert.True(result.Stderr.Length == 0, context);
                File.WriteAllBytes(_lbadm.RulesFile, before);
                continue;
            }

            failures++;
            Assert.True(result.ExitCode is 2 or 255, context);
            Assert.True(LocatedError().IsMatch(result.Stderr), context);
            Assert.DoesNotContain("internal error", result.Stderr, StringComparison.Ordinal);
            Assert.True(before.AsSpan().SequenceEqual(File.ReadAllBytes(_lbadm.RulesFile)), context);
        }

        // Most mutations break the file; a run where none did would not have tested anything.
        Assert.InRange(failures, 150, 300);
    }

    private static string Mutate(string line, Random random, string[] words)
    {
        var p = random.Next(line.Length + 1);
        var tokens = line.Split(' ').ToList();
        var w = random.Next(tokens.Count);
        const string Chars = "-:[]., 0123456789abcdefgimprstuwxyAEDSLR#6";
        switch (random.Next(7))
        {
            case 0:
                return line.Insert(p, Chars[random.Next(Chars.Length)].ToString());
            case 1 when p < line.Length:
                return line.Remove(p, 1);
            case 2 when p < line.Length:
                return line[..p] + Chars[random.Next(Chars.Length)] + line[(p + 1)..];
            case 3:
                return line[..p];
            case 4:
                tokens.RemoveAt(w);
                break;
            case 5:
                tokens.Insert(w, tokens[w]);
                break;
            default:
                tokens[w] = words[random.Next(words.Length)];
                break;
        }

        return string.Join(' ', tokens);
    }

    // "lbadm: restore: line N, column C: message (expected ...)" for parse errors, "lbadm: restore: line N: message"
    // when the table refuses a line, "lbadm: restore: message" when the result is invalid as a whole; usage errors
    // add ipvsadm's "Try" hint. Never a stack trace or an internal error.
    [GeneratedRegex(@"\Albadm: restore: (line \d+, column \d+: [^\n]+ \(expected [^\n]+\)|line \d+: [^\n]+|[^\n]+)\n(Try `lbadm -h' or 'lbadm --help' for more information\.\n)?\z")]
    private static partial Regex LocatedError();
}
