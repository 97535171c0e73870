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
    public void ApplyAll_MutatedValidFiles_NeverCrashAndNeverHalfApply()
    {
        var original = Restore(Valid);
        var lines = Valid.Split('\n');
        var gen =
            from lineIndex in Gen.Int[0, lines.Length - 1]
            from position in Gen.Int[0, 80]
            from kind in Gen.Int[0, 3]
            from c in Gen.Char["-:[]., 0123456789abcdefgimprstuwxyAEDSLR#6"]
            select (lineIndex, position, kind, c);

        gen.Sample(
            m =>
            {
                var mutated = (string[])lines.Clone();
                var line = mutated[m.lineIndex];
                var p = Math.Min(m.position, line.Length);
                mutated[m.lineIndex] = m.kind switch
                {
                    0 => line.Insert(p, m.c.ToString()),
                    1 when p < line.Length => line.Remove(p, 1),
                    2 when p < line.Length => line[..p] + m.c + line[(p + 1)..],
                    _ => line[..p],
                };
                try
                {
                    var result = Restore(string.Join('\n', mutated), original);
                    result.EnsureValid(RuleEditor.KernelSchedulers);
                }
                catch (Exception e) when (e is RuleParseException or RuleApplyException or ConfigValidationException)
                {
                    // A refused restore leaves the input untouched (configurations are immutable values).
                    Assert.Equal(Save(original, ListOptions.Numeric), Save(Restore(Valid), ListOptions.Numeric));
                }
            },
            iter: 400);
    }
}
