using System.CommandLine;

namespace Godo.Cli;

/// <summary>Exit codes and error reporting shared by every command: one line on stderr, never a stack trace.</summary>
public static class CommandLine
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        // `godo` alone is a request for help, answered as `godo --help` (exit 0, as docker and kubectl do).
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine's own messages may list choices on lines of their own.
            foreach (var lines in parse.Errors.Select(e => e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                Error(lines[0], lines[1..]);
            Console.Error.WriteLine("Try 'godo --help'.");
            return Usage;
        }
        try
        {
            // SIGTERM/Ctrl-C cancels the command's token; a stop (an agent restoring the kernel's audit state, an
            // aggregator leaving the cluster) gets its time on a loaded host rather than System.CommandLine's 2 s.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
        }
        catch (UsageException e)
        {
            Error(e.Message, e.Candidates);
            return Usage;
        }
        catch (OperationCanceledException)
        {
            return Failed;
        }
        catch (Exception e) when (RemotingBindFailure(e) is { } problem)
        {
            Error(problem);
            return Usage;
        }
        catch (Exception e)
        {
            Error($"{e.GetType().Name}: {e.Message}");
            return Failed;
        }
    }

    /// <summary>
    /// An error on stderr: one line, escaped like all output (a message may quote a name or argv from the fleet),
    /// then the <paramref name="candidates"/> an ambiguous name matched, one indented line each.
    /// </summary>
    public static void Error(string message, IReadOnlyList<string>? candidates = null)
    {
        var text = new System.Text.StringBuilder("godo: ").Append(Output.TerminalText.Escape(message)).Append('\n');
        foreach (var c in candidates ?? []) text.Append("  ").Append(Output.TerminalText.Escape(c)).Append('\n');
        Console.Error.Write(text.ToString());
    }

    /// <summary>
    /// Akka.Remote could not listen (port in use, address not here), deep in the ActorSystem's start: the one line to
    /// say instead of the nested exceptions. Without SO_REUSEPORT a used port fails here rather than being shared.
    /// </summary>
    private static string? RemotingBindFailure(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException is { } inner ? inner : (x as AggregateException)?.InnerExceptions.FirstOrDefault())
            if (x is Akka.Remote.RemoteTransportException { InnerException: System.Net.Sockets.SocketException socket } transport)
            {
                var where = transport.Message.IndexOf('[') is var i and >= 0 ? transport.Message[(i + 1)..transport.Message.IndexOf(']', i)] : "the remoting address";
                return socket.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse
                    ? $"cannot listen on {where}: the port is in use (another godo?); choose another with --remote-port"
                    : $"cannot listen on {where}: {socket.Message}";
            }
        return null;
    }
}

/// <summary>Bad input from the user (a missing file, a bad time): exit code 2 with one line (and an ambiguous name's candidates).</summary>
public sealed class UsageException(string message, IReadOnlyList<string>? candidates = null) : Exception(message)
{
    public IReadOnlyList<string> Candidates { get; } = candidates ?? [];
}
