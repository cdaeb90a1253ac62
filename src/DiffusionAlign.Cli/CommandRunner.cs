using TorchSharp;

namespace DiffusionAlign.Cli;

/// <summary>
/// Runs a command body and turns user errors into one line on stderr with exit code 2, so a
/// mistake in a flag or a file never shows a stack trace. Bugs still surface with their trace.
/// </summary>
public static class CommandRunner
{
    public const int UserError = 2;

    /// <summary>
    /// The flag that sets each config property the library may reject (<see cref="InvalidSettingException"/>);
    /// the library names properties, the user typed flags. Every command uses the same flag for a property.
    /// </summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["Steps"] = "--steps",
        ["BatchSize"] = "--batch",
        ["GradAccum"] = "--grad-accum",
        ["LearningRate"] = "--lr",
        ["Beta"] = "--beta",
        ["DspoMarginBeta"] = "--dspo-margin-beta",
        ["WarmupSteps"] = "--warmup",
        ["LogEvery"] = "--log-every",
        ["CheckpointEvery"] = "--checkpoint-every",
        ["MaxPairs"] = "--max-pairs",
        ["Count"] = "--n",
        ["Tau"] = "--tau",
        ["Prompts"] = "--prompts",
        ["Seeds"] = "--seeds",
        ["ElboDraws"] = "--elbo-draws",
        ["PromptDropout"] = "prompt dropout",
        ["FlawProbability"] = "flaw probability",
        ["EmaDecay"] = "EMA decay",
        ["Rank"] = "--lora-rank",
        ["Alpha"] = "--lora-alpha",
        ["Dropout"] = "--lora-dropout",
    };

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidSettingException e)
        {
            string name = Flags.TryGetValue(e.Setting, out var flag) ? flag : e.Setting;
            Console.Error.WriteLine($"dalign: error: {name} {e.Problem}");
            return UserError;
        }
        catch (DiffusionAlignException e)
        {
            Console.Error.WriteLine($"dalign: error: {e.Message}");
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine(
                "dalign: cancelled; the last checkpoint is kept, rerun with --resume to continue");
            return 130;
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"dalign: error: {e.Message}");
            return UserError;
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"dalign: error: {e.Message}");
            return UserError;
        }
    }

    /// <summary>Cancellation on Ctrl+C: the running step finishes, then the command stops cleanly.</summary>
    public static CancellationToken CancelOnCtrlC()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        return cts.Token;
    }
}
