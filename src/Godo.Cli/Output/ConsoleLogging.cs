using Microsoft.Extensions.Logging;

namespace Godo.Cli.Output;

/// <summary>The log of the long-running commands (agent, aggregator, standalone): one line per entry on the console.</summary>
public static class ConsoleLogging
{
    public static ILoggingBuilder AddGodoConsole(this ILoggingBuilder logging) => logging
        .ClearProviders()
        .AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss "; })
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Akka", LogLevel.Warning)
        // The host logs a failed start with its whole stack trace, then throws: the command says it in one line
        // instead. A faulted background service still shows, at Critical.
        .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
}
