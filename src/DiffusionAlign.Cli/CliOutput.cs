using Spectre.Console;

namespace DiffusionAlign.Cli;

/// <summary>
/// The two streams, as scripts expect them: results and the data asked for on stdout; progress, logs and notes on
/// stderr, so <c>dalign eval ... --json | jq</c> reads only JSON and a log file still shows the work moving.
/// </summary>
public static class CliOutput
{
    /// <summary>Spectre.Console bound to stderr, for progress bars that must not mix into stdout.</summary>
    public static IAnsiConsole Progress { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });

    /// <summary>A progress or log line (stderr).</summary>
    public static void Log(string line) => Console.Error.WriteLine(line);

    /// <summary>
    /// Log lines of a process of an <c>mpirun</c> job: rank 0's as they are, another rank's prefixed with its rank
    /// (those come only from the work it does alone, e.g. one line per run it trains).
    /// </summary>
    public static Action<string> RankLog(Distributed.ICommunicator world) =>
        world.Rank == 0 ? Log : line => Log($"rank {world.Rank}: {line}");

    /// <summary>A result line (stdout).</summary>
    public static void Result(string line) => Console.Out.WriteLine(line);
}
