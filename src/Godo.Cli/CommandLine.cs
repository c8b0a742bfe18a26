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
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"godo: {e.Message}");
            Console.Error.WriteLine("Try 'godo --help'.");
            return Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"godo: {e.Message}");
            return Usage;
        }
        catch (OperationCanceledException)
        {
            return Failed;
        }
        catch (Exception e) when (RemotingBindFailure(e) is { } problem)
        {
            Console.Error.WriteLine($"godo: {problem}");
            return Usage;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"godo: {e.GetType().Name}: {e.Message}");
            return Failed;
        }
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

/// <summary>Bad input from the user (a missing file, a bad time): exit code 2 with one line.</summary>
public sealed class UsageException(string message) : Exception(message);
