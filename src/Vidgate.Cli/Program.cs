using Vidgate.Cli;

return await VidgateCli.RunAsync(args);
