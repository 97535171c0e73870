using CsCheck;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using static LoadBalancing.Tests.Fakes.Rules;

namespace LoadBalancing.Tests.Rules;

public sealed class RuleEditorTests
{
    private const string Valid = """
        -A -t 192.168.1.254:80 -s rr
        -a -t 192.168.1.254:80 -r 192.168.1.10:80 -g -w 1
        -a -t 192.168.1.254:80 -r 192.168.1.11:80 -m -w 2 -x 10 -y 5
        -A -u [2001:db8::53]:53 -s sh -b sh-port -p 60 -M 64
        -a -u [2001:db8::53]:53 -r [2001:db8::1]:5353 -m -w 3
        -A -f 9 -s mh -b mh-fallback,mh-port
        -a -f 9 -r 10.0.0.9:0 -i --tun-type gue --tun-port 6080 --tun-remcsum
        """;

    [Fact]
    public void Apply_EditService_RevertsUnspecifiedOptionsAndKeepsServers()
    {
        var config = Restore(Valid + "\n-E -t 192.168.1.254:80 -p 60\n");
        var service = config.Services[0];

        Assert.Equal("wlc", service.Scheduler);
        Assert.Equal(TimeSpan.FromSeconds(60), service.PersistenceTimeout);
        Assert.Equal(2, service.RealServers.Length);
    }

    [Fact]
    public void Apply_EditServer_RevertsUnspecifiedOptionsInPlace()
    {
        var config = Restore(Valid + "\n-e -t 192.168.1.254:80 -r 192.168.1.10 -w 7\n");
        var servers = config.Services[0].RealServers;

        Assert.Equal(["192.168.1.10", "192.168.1.11"], servers.Select(s => s.Address.ToString()));
        Assert.Equal(7, servers[0].Weight);
        Assert.Equal(ForwardingMethod.Route, servers[0].Method);
    }

    [Theory]
    [InlineData("-A -t 192.168.1.254:80", "Service already exists")]
    [InlineData("-E -t 192.168.1.254:81", "No such service")]
    [InlineData("-D -t 192.168.1.254:81", "No such service")]
    [InlineData("-a -t 192.168.1.254:81 -r 10.0.0.1", "Service not defined")]
    [InlineData("-a -t 192.168.1.254:80 -r 192.168.1.10", "Destination already exists")]
    [InlineData("-e -t 192.168.1.254:80 -r 192.168.1.99", "No such destination")]
    [InlineData("-d -t 192.168.1.254:80 -r 192.168.1.99", "No such destination")]
    [InlineData("-a -t 192.168.1.254:80 -r 192.168.1.12 -y 5", "Numerical result out of range")]
    [InlineData("-A -t 192.168.1.254:90 -s nosuch", "Scheduler or persistence engine not found")]
    [InlineData("-A -u 192.168.1.254:90 -p --pe nosuch", "Scheduler or persistence engine not found")]
    public void Apply_KernelWouldRefuse_ThrowsLibipvsMessageAndLine(string line, string message)
    {
        var before = Restore(Valid);

        var e = Assert.Throws<RuleApplyException>(() => Restore("-Z\n" + line, before));

        Assert.Equal(message, e.Message);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void ApplyAll_DeleteAndClear_RemoveServices()
    {
        var config = Restore(Valid + "\n-d -t 192.168.1.254:80 -r 192.168.1.11:80\n-D -f 9\n");

        Assert.Equal(2, config.Services.Length);
        Assert.Single(config.Services[0].RealServers);
        Assert.Empty(Restore("-C", config).Services);
    }

    [Fact]
    public void ApplyAll_MutatedValidFiles_FailOnlyWithLocatedErrorsAndNeverHalfApply()
    {
        var original = Restore(Valid);
        var originalText = RulesFile.Render(original);
        var lines = Valid.Split('\n');
        var tokens = Valid.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Concat(["-p", "-R", "-L", "#", "[", "]:", "::", "99999999999", "-1", "0", "-6", "--tun-port", "-b", ",", "-w", "x"])
            .Distinct()
            .ToArray();

        // Character edits (insert, delete, replace, truncate) and token edits (delete, duplicate, replace), 1 to 3 per file.
        var mutation = Gen.Select(Gen.Int[0, lines.Length - 1], Gen.Int[0, 80], Gen.Int[0, 6], Gen.Char["-:[]., 0123456789abcdefgimprstuwxyAEDSLR#6"], Gen.Int[0, tokens.Length - 1]);
        mutation.Array[1, 3].Sample(
            mutations =>
            {
                var mutated = (string[])lines.Clone();
                foreach (var (lineIndex, position, kind, c, token) in mutations)
                {
                    mutated[lineIndex] = Mutate(mutated[lineIndex], position, kind, c, tokens[token]);
                }

                var text = string.Join('\n', mutated);
                IReadOnlyList<RuleCommand> commands;
                try
                {
                    commands = RuleParser.ParseRestore(new StringReader(text), ServiceNameTable.BuiltIn);
                }
                catch (RuleParseException e)
                {
                    Assert.InRange(e.Line, 1, mutated.Length);
                    Assert.InRange(e.Column, 1, mutated[e.Line - 1].Length + 1);
                    Assert.False(string.IsNullOrWhiteSpace(e.Expected));
                    return;
                }

                try
                {
                    RuleEditor.ApplyAll(original, commands).EnsureValid(RuleEditor.KernelSchedulers);
                }
                catch (RuleApplyException e)
                {
                    Assert.InRange(e.Line, 1, mutated.Length);
                }
                catch (ConfigValidationException e)
                {
                    Assert.False(string.IsNullOrWhiteSpace(e.Message));
                }

                // Whatever happened, the table the restore started from is unchanged.
                Assert.Equal(originalText, RulesFile.Render(original));
            },
            iter: 600);
    }

    private static string Mutate(string line, int position, int kind, char c, string token)
    {
        var p = Math.Min(position, line.Length);
        var words = line.Split(' ').ToList();
        var w = Math.Min(position % 16, words.Count - 1);
        switch (kind)
        {
            case 0:
                return line.Insert(p, c.ToString());
            case 1 when p < line.Length:
                return line.Remove(p, 1);
            case 2 when p < line.Length:
                return line[..p] + c + line[(p + 1)..];
            case 3:
                return line[..p];
            case 4:
                words.RemoveAt(w);
                break;
            case 5:
                words.Insert(w, words[w]);
                break;
            default:
                words[w] = token;
                break;
        }

        return string.Join(' ', words);
    }
}
