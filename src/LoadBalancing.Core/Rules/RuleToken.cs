namespace LoadBalancing.Rules;

/// <summary>One whitespace-separated word of a rule with its 1-based column.</summary>
internal readonly record struct RuleToken(string Text, int Column)
{
    /// <summary>
    /// Splits a <c>-R</c> line the way config_stream.c does: on spaces, tabs, CR and LF, dropping every word
    /// equal to the program name (<c>ipvsadm</c>, and <c>lbadm</c> for our own files).
    /// </summary>
    public static List<RuleToken> Split(string line)
    {
        var tokens = new List<RuleToken>();
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && IsSeparator(line[i]))
            {
                i++;
            }

            var start = i;
            while (i < line.Length && !IsSeparator(line[i]))
            {
                i++;
            }

            if (i > start)
            {
                var word = line[start..i];
                if (word is not ("ipvsadm" or "lbadm"))
                {
                    tokens.Add(new RuleToken(word, start + 1));
                }
            }
        }

        return tokens;
    }

    /// <summary>Turns command-line arguments into tokens, with columns as if joined by single spaces.</summary>
    public static List<RuleToken> FromArguments(IReadOnlyList<string> args)
    {
        var tokens = new List<RuleToken>(args.Count);
        var column = 1;
        foreach (var arg in args)
        {
            tokens.Add(new RuleToken(arg, column));
            column += arg.Length + 1;
        }

        return tokens;
    }

    private static bool IsSeparator(char c) => c is ' ' or '\t' or '\r' or '\n';
}
