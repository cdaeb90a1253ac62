using DiffusionAlign.Distributed;

namespace DiffusionAlign.Experiments.Study;

/// <summary>A chosen configuration: the grid point and checkpoint step of one regime and family.</summary>
public sealed record Choice(
    StudyRegime Regime, StudyFamily Family, GridPoint Point, int Step, string Weights, CheckpointMetrics Validation,
    int Candidates);

/// <summary>The select stage's saved result: the rule and each regime's and family's choice.</summary>
public sealed record SelectionResult(string Rule, List<Choice> Chosen, int WeightsPruned);

/// <summary>
/// Stage 3: per regime and family, the (grid point, checkpoint) with the best validation reward win rate against
/// the base. Only validation numbers are read; the test prompts are untouched until every choice is made.
/// </summary>
public static class Selection
{
    public const string Rule =
        "per regime and method family, the (setting, checkpoint) with the highest reward win rate vs the base on "
        + "the validation prompts; ties broken by the higher prompt-clustered lower bound, then the higher mean "
        + "reward, then the smaller distance from the base, then the earlier step, then grid order";

    public static List<Choice> Choose(IEnumerable<RunResult> runs)
    {
        var candidates = runs
            .SelectMany(run => run.Checkpoints.Where(c => c.Validation is not null)
                .Select(c => (Run: run, Checkpoint: c)))
            .ToList();
        var chosen = new List<Choice>();
        foreach (var group in candidates.GroupBy(c => (c.Run.Regime, c.Run.Point.Family)))
        {
            // OrderBy is stable: equal candidates keep grid order.
            var best = group
                .OrderByDescending(c => c.Checkpoint.Validation!.WinRate.Rate)
                .ThenByDescending(c => c.Checkpoint.Validation!.WinRate.ClusteredCiLow ?? c.Checkpoint.Validation!
                    .WinRate.CiLow)
                .ThenByDescending(c => c.Checkpoint.Validation!.MeanReward)
                .ThenBy(c => c.Checkpoint.Validation!.Distance ?? 0)
                .ThenBy(c => c.Checkpoint.Step)
                .First();
            chosen.Add(new Choice(group.Key.Regime, group.Key.Family, best.Run.Point, best.Checkpoint.Step,
                best.Checkpoint.Weights, best.Checkpoint.Validation!, group.Count()));
        }
        return [.. chosen
            .OrderBy(c => Array.IndexOf([.. StudyRegimes.All], c.Regime))
            .ThenBy(c => Array.IndexOf([.. StudyFamilies.All], c.Family))];
    }

    /// <summary>
    /// Chooses, then (unless kept) deletes the weights of every checkpoint not chosen: their results stay, and
    /// only chosen weights are trained on or tested later.
    /// </summary>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job: every one chooses (the same), rank 0 alone deletes.
    /// </param>
    public static SelectionResult Run(GridStageResult grid, bool keepAllWeights, StudyLayout layout,
        Action<string>? log, ICommunicator? communicator = null)
    {
        var chosen = Choose(grid.Runs);
        foreach (var c in chosen)
            log?.Invoke($"chosen {c.Regime.Key()}/{c.Family.Key()}: {c.Point.Describe()} at step {c.Step} of "
                + $"{c.Candidates} checkpoints, validation win rate {GridStage.Describe(c.Validation.WinRate)}");
        int pruned = keepAllWeights ? 0
            : (communicator ?? SingleProcessCommunicator.Instance).FromRoot(() => Prune(grid, chosen, layout));
        return new SelectionResult(Rule, chosen, pruned);
    }

    /// <summary>Deletes the weights of every grid checkpoint not chosen; returns how many it deleted.</summary>
    private static int Prune(GridStageResult grid, List<Choice> chosen, StudyLayout layout)
    {
        int pruned = 0;
        var keep = new HashSet<string>(chosen.Select(c => layout.Resolve(c.Weights)));
        foreach (var checkpoint in grid.Runs.SelectMany(r => r.Checkpoints))
        {
            string weights = layout.Resolve(checkpoint.Weights);
            if (keep.Contains(weights) || !Directory.Exists(weights)) continue;
            Directory.Delete(weights, recursive: true);
            pruned++;
        }
        return pruned;
    }
}
