using LoadBalancing.Cli;

return LbadmApp.Run(args, Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
