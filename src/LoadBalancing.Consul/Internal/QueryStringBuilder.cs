using System.Text;

namespace LoadBalancing.Consul.Internal;

/// <summary>Builds <c>?a=b&amp;c=d</c> with every value percent-encoded.</summary>
internal sealed class QueryStringBuilder
{
    private readonly StringBuilder _builder = new();

    public QueryStringBuilder Add(string name, string? value)
    {
        if (value is not null)
        {
            _builder.Append(_builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        return this;
    }

    public override string ToString() => _builder.ToString();
}
