using LoadBalancing.Cli;

// Ctrl-C ends --watch cleanly (exit 0); every other command keeps the default behaviour.
using var cancel = new CancellationTokenSource();
var watching = args.Contains("--watch");
Console.CancelKeyPress += (_, e) =>
{
    if (watching)
    {
        e.Cancel = true;
        cancel.Cancel();
    }
};

var console = new LbadmConsole { ClearScreen = watching && !Console.IsOutputRedirected, Cancel = cancel.Token };
return LbadmApp.Run(args, Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable, console);
