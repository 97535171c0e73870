namespace LoadBalancing.Consul.Tests.Fakes;

/// <summary>Reads the documented Consul payloads in Fixtures/ (see Fixtures/README.md and each NAME.source.txt).</summary>
internal static class Fixture
{
    public static string Read(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", name);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "Fixtures", Path.GetFileNameWithoutExtension(name) + ".source.txt")), $"{name} has no source note");
        return File.ReadAllText(path);
    }

    /// <summary>
    /// The response headers of a documented <c>curl --include</c> transcript: the lines between the status line
    /// and the blank line, without the documentation's "..." elision.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadHeaders(string name)
    {
        var lines = Read(name).Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)) + 1;
        var headers = new List<KeyValuePair<string, string>>();
        for (var i = start; i < lines.Length && lines[i].Length > 0; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(lines[i][..colon], lines[i][(colon + 1)..].Trim()));
            }
        }

        return headers;
    }

    /// <summary>The JSON body of a documented <c>curl --include</c> transcript (everything after the headers).</summary>
    public static string ReadTranscriptBody(string name)
    {
        var text = Read(name);
        var start = text.IndexOf("\n\n{", text.IndexOf("HTTP/1.1 ", StringComparison.Ordinal), StringComparison.Ordinal);
        return text[(start + 2)..];
    }
}
