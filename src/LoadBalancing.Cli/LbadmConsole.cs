namespace LoadBalancing.Cli;

/// <summary>What lbadm needs from its terminal besides the three streams: for <c>--watch</c>.</summary>
internal sealed record LbadmConsole
{
    /// <summary>Gets a value indicating whether each <c>--watch</c> frame first clears the screen (stdout is a terminal).</summary>
    public bool ClearScreen { get; init; }

    /// <summary>Gets the token Ctrl-C cancels; <c>--watch</c> then exits 0.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Gets the clock of the <c>--watch</c> interval.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
