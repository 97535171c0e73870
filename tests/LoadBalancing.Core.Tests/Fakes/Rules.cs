using LoadBalancing.Listing;
using LoadBalancing.Model;
using LoadBalancing.Rules;

namespace LoadBalancing.Tests.Fakes;

/// <summary>Restores rule text and renders listings, with the built-in port names so tests do not depend on /etc/services.</summary>
internal static class Rules
{
    public static LoadBalancerConfig Restore(string text, LoadBalancerConfig? onto = null)
        => RuleEditor.ApplyAll(onto ?? LoadBalancerConfig.Empty, RuleParser.ParseRestore(new StringReader(text), ServiceNameTable.BuiltIn));

    public static string List(LoadBalancerConfig config, ListOptions options)
        => List(ListingSnapshot.FromConfig(config), options);

    public static string List(ListingSnapshot snapshot, ListOptions options, VirtualServiceKey? service = null)
    {
        var writer = new StringWriter();
        Assert.True(IpvsListing.WriteList(writer, snapshot, options, service, ServiceNameTable.BuiltIn));
        return writer.ToString();
    }

    public static string Save(LoadBalancerConfig config, ListOptions options)
    {
        var writer = new StringWriter();
        IpvsListing.WriteSave(writer, ListingSnapshot.FromConfig(config), options, ServiceNameTable.BuiltIn);
        return writer.ToString();
    }

    /// <summary>Joins lines with "\n" and a final "\n"; '$' marks where trailing blanks end, as in lvs-reference.md.</summary>
    public static string Lines(params string[] lines) => string.Concat(lines.Select(l => l.TrimEnd('$') + "\n"));

    public static RuleCommand Parse(string line) => RuleParser.ParseArguments(line.Split(' '), ServiceNameTable.BuiltIn);
}
