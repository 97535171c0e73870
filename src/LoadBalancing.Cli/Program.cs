using System.Runtime.InteropServices;
using LoadBalancing.Cli;

// Ctrl-C (SIGINT) and SIGTERM end --watch cleanly (exit 0); every other command keeps the default behaviour.
using var cancel = new CancellationTokenSource();
var watching = args.Contains("--watch");
void Stop(PosixSignalContext context)
{
    if (watching)
    {
        context.Cancel = true;
        cancel.Cancel();
    }
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var console = new LbadmConsole { ClearScreen = watching && !Console.IsOutputRedirected, Cancel = cancel.Token };
return LbadmApp.Run(args, Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable, console);
