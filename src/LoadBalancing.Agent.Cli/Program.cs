using LoadBalancing.Agent.Cli;

return await AgentCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
