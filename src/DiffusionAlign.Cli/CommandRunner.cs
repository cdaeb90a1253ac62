using System.Runtime.InteropServices;
using DiffusionAlign.Distributed;
using DiffusionAlign.Training;

namespace DiffusionAlign.Cli;

/// <summary>
/// Runs a command body and turns user errors into one line on stderr with exit code 2, so a
/// mistake in a flag or a file never shows a stack trace. Bugs still surface with their trace.
/// </summary>
public static class CommandRunner
{
    public const int UserError = 2;

    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// Set from <c>--verbose</c> for each invocation: user errors then also print their stack trace, for a
    /// report of an error that looks like the tool's fault rather than the input's.
    /// </summary>
    public static bool Verbose { get; set; }

    /// <summary>
    /// The flag that sets each config property the library may reject (<see cref="InvalidSettingException"/>);
    /// the library names properties, the user typed flags. Every command uses the same flag for a property.
    /// </summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["Steps"] = "--steps",
        ["BatchSize"] = "--batch",
        ["GradAccum"] = "--grad-accum",
        ["DataParallelProcesses"] = "mpirun -np",
        ["LearningRate"] = "--lr",
        ["Beta"] = "--beta",
        ["DspoMarginBeta"] = "--dspo-margin-beta",
        ["WarmupSteps"] = "--warmup",
        ["Method"] = "--method",
        ["LrScheduler"] = "--lr-scheduler",
        ["LrNumCycles"] = "--lr-num-cycles",
        ["LrPower"] = "--lr-power",
        ["LearningRatePerPair"] = "--lr",
        ["GradClipNorm"] = "--max-grad-norm",
        ["AdamBeta1"] = "--adam-beta1",
        ["AdamBeta2"] = "--adam-beta2",
        ["AdamEpsilon"] = "--adam-epsilon",
        ["WeightDecay"] = "--adam-weight-decay",
        ["CheckpointsTotalLimit"] = "--checkpoints-total-limit",
        ["DspoVariant"] = "--dspo-variant",
        ["LogEvery"] = "--log-every",
        ["CheckpointEvery"] = "--checkpoint-every",
        ["LogDir"] = "--log-dir",
        ["ValidationEvery"] = "--validation-every",
        ["ValidationPrompts"] = "--validation-prompts",
        ["MaxPairs"] = "--max-pairs",
        ["Count"] = "--n",
        ["Tau"] = "--tau",
        ["Prompts"] = "--prompts",
        ["Seeds"] = "--seeds",
        ["ElboDraws"] = "--elbo-draws",
        ["PromptDropout"] = "--prompt-dropout",
        ["FlawProbability"] = "flaw probability",
        ["EmaDecay"] = "EMA decay",
        ["Rank"] = "--lora-rank",
        ["Alpha"] = "--lora-alpha",
        ["Dropout"] = "--lora-dropout",
        ["GuidanceScale"] = "--guidance",
        ["Eta"] = "--eta",
        ["Iterations"] = "--md-iterations",
        ["SamplesPerProbe"] = "--md-samples",
        ["StepSize"] = "--md-step-size",
        ["ProbeSize"] = "--md-probe",
        ["GoldBudget"] = "--gold-budget",
        ["Rounds"] = "--rounds",
        ["SilverPerRound"] = "--silver-per-round",
        ["RewardSteps"] = "--reward-steps",
        ["HackingTolerance"] = "--hacking-tolerance",
        ["MonitorSamples"] = "--monitor-samples",
    };

    /// <summary>The flag that sets the config property <paramref name="setting"/> (its own name if none).</summary>
    public static string FlagFor(string setting) => Flags.TryGetValue(setting, out var flag) ? flag : setting;

    /// <summary>
    /// Runs <paramref name="body"/>. For a training command, <paramref name="checkpointDir"/> is where its
    /// checkpoint goes, so a Ctrl+C can say whether anything was kept to resume from.
    /// </summary>
    public static int Run(Func<int> body, string? checkpointDir = null)
    {
        try
        {
            return body();
        }
        catch (InvalidSettingException e)
        {
            return Fail($"{FlagFor(e.Setting)} {e.Problem}", e);
        }
        catch (SettingsMismatchException e)
        {
            var flags = e.Differences.Select(d => $"{FlagFor(d.Setting)} {d.Saved} (now {d.Given})");
            return Fail($"the checkpoint in {e.Checkpoint} was made with other settings: {string.Join(", ", flags)}; "
                + "resume with the same flags, or start in a new --out", e);
        }
        catch (DiffusionAlignException e)
        {
            return Fail(e.Message, e);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"dalign: {CancelledMessage(checkpointDir)}");
            return Cancelled;
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(e.Message, e);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(e.Message, e);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in this process's group: Open MPI's world under mpirun, else the process alone
    /// (MPI never loaded). A failed process ends the whole group, since the others may be waiting in a collective it
    /// will never join; a stop request is not such a failure (mpirun passes Ctrl+C to every process).
    /// </summary>
    public static int WithWorld(Func<ICommunicator, int> body)
    {
        ICommunicator? world = null;
        int code = Run(() =>
        {
            world = Communicators.FromEnvironment();
            return 0;
        });
        if (code != 0) return code;
        code = body(world!);
        if (code is not 0 and not Cancelled && world!.Size > 1) world.Abort(code);
        world!.Dispose();
        return code;
    }

    /// <summary>What a Ctrl+C left behind: a checkpoint to resume from, or nothing.</summary>
    public static string CancelledMessage(string? checkpointDir) => checkpointDir switch
    {
        null => "cancelled",
        _ when TrainingCheckpoint.Exists(checkpointDir) =>
            $"cancelled; the last checkpoint in {checkpointDir} is kept, rerun with --resume to continue",
        _ => "cancelled before the first checkpoint; nothing was kept",
    };

    private static int Fail(string message, Exception e)
    {
        Console.Error.WriteLine($"dalign: error: {message}");
        if (Verbose) Console.Error.WriteLine(e);
        return UserError;
    }

    // Kept alive for the process: disposing a registration restores the default handling.
    private static PosixSignalRegistration? _terminate;

    /// <summary>
    /// Cancellation on Ctrl+C (SIGINT) or SIGTERM: the running step finishes, a checkpoint is written, then the
    /// command stops. A second signal stops the process at once.
    /// </summary>
    public static CancellationToken CancelOnCtrlC()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        _terminate?.Dispose();
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            if (cts.IsCancellationRequested) return;
            context.Cancel = true;
            Console.Error.WriteLine("dalign: stopping after the current step (signal again to stop now)");
            cts.Cancel();
        });
        return cts.Token;
    }
}
