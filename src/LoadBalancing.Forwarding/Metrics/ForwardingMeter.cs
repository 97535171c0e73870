using System.Text;

namespace LoadBalancing.Forwarding.Metrics;

/// <summary>What the forwarders' instruments share with the rest of LoadBalancing's.</summary>
internal static class ForwardingMeter
{
    /// <summary>The meter's name, shared by every LoadBalancing instrument (<c>lb.*</c>).</summary>
    public const string Name = "LoadBalancing";

    /// <summary>An enum member's name as a tag value: <c>NotForDirector</c> → <c>not_for_director</c>.</summary>
    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
