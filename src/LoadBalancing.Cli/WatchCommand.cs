namespace LoadBalancing.Cli;

/// <summary><c>lbadm --watch</c>: like watch(1), redraws a listing every interval until the count is reached or Ctrl-C.</summary>
internal static class WatchCommand
{
    /// <summary>Runs the loop.</summary>
    /// <param name="list">Writes one listing and returns its exit status; a failure ends the loop with that status.</param>
    /// <param name="watch">Interval and count.</param>
    /// <param name="console">Screen clearing, Ctrl-C and the clock.</param>
    /// <param name="stdout">Where frames go, each written whole and flushed.</param>
    /// <returns>0 after the last frame or Ctrl-C, else the listing's status.</returns>
    public static int Run(Func<TextWriter, int> list, WatchOptions watch, LbadmConsole console, TextWriter stdout)
    {
        for (var frame = 1; ; frame++)
        {
            // Render first, then write in one piece, so a slow target never leaves a half-drawn screen.
            var text = new StringWriter();
            var status = list(text);
            if (status != 0)
            {
                return status;
            }

            if (console.ClearScreen)
            {
                stdout.Write("\e[H\e[2J");
            }

            stdout.Write(text.ToString());
            stdout.Flush();
            if (frame == watch.Count)
            {
                return 0;
            }

            try
            {
                Task.Delay(watch.Interval, console.Time, console.Cancel).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        }
    }
}
