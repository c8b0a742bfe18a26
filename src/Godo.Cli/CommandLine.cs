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
        catch (Exception e)
        {
            Console.Error.WriteLine($"godo: {e.GetType().Name}: {e.Message}");
            return Failed;
        }
    }
}

/// <summary>Bad input from the user (a missing file, a bad time): exit code 2 with one line.</summary>
public sealed class UsageException(string message) : Exception(message);
