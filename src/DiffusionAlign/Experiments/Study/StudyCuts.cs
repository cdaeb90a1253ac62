using System.Globalization;
using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// What a configuration leaves out of the full design to fit its time: grid values dropped, and sizes below the
/// demo's recipe and the evaluation defaults. Derived from the numbers, so the list cannot go stale.
/// </summary>
public static class StudyCuts
{
    public static IReadOnlyList<string> Describe(StudyConfig config)
    {
        var cuts = new List<string>();
        var full = StudyGrid.Full;
        Grid(cuts, "Diffusion-DPO β", config.Grid.DpoBetas, full.DpoBetas);
        Grid(cuts, "DSPO SD1.5-form β", config.Grid.DspoBetas, full.DspoBetas);
        Grid(cuts, "DSPO SDXL-branch β", config.Grid.DspoSdxlBetas, full.DspoSdxlBetas);

        var demo = DemoConfig.Default;
        var evaluation = new EvaluationConfig();
        var training = config.Training;
        int visits = training.Steps * training.BatchSize;
        int demoVisits = demo.Dpo.Steps * demo.Dpo.EffectiveBatch;
        if (visits < demoVisits)
            cuts.Add($"each run trains {training.Steps} steps × {training.BatchSize} pairs ({visits} pair visits) "
                + $"instead of the demo's {demo.Dpo.Steps} × {demo.Dpo.EffectiveBatch} ({demoVisits})");
        if (config.TrainPairs < demo.TrainPairs)
            cuts.Add($"{config.TrainPairs} training pairs per regime instead of the demo's {demo.TrainPairs}");
        if (Math.Max(config.ValidationPairs, config.TestPairs) < demo.HeldOutPairs)
            cuts.Add($"{config.ValidationPairs} validation and {config.TestPairs} test pairs per source for ranking "
                + $"accuracies instead of the demo's {demo.HeldOutPairs} held-out pairs");
        if (config.ElboDraws < evaluation.ElboDraws)
            cuts.Add($"{config.ElboDraws} (t, ε) draws per pair for ranking accuracies instead of "
                + $"{evaluation.ElboDraws}");
        if (config.ValidationSeeds < evaluation.Seeds || config.ValidationPrompts < evaluation.Prompts)
            cuts.Add($"each checkpoint judged on {config.ValidationPrompts} validation prompts × "
                + $"{config.ValidationSeeds} noises instead of the evaluation default's {evaluation.Prompts} × "
                + $"{evaluation.Seeds}: selection is noisier than the final tables");
        if (config.TestSeeds * config.Replicates < evaluation.Seeds || config.TestPrompts < evaluation.Prompts)
            cuts.Add($"each replicate judged on {config.TestPrompts} test prompts × {config.TestSeeds} noises "
                + $"({config.TestSeeds * config.Replicates} per prompt pooled over {config.Replicates} seeds) "
                + $"instead of {evaluation.Prompts} × {evaluation.Seeds} per model");
        if (config.Replicates < 3)
            cuts.Add($"{config.Replicates} training seed(s) per chosen configuration instead of at least 3");
        if (config.Regimes.Length < StudyRegimes.All.Count)
            cuts.Add("regimes left out: " + string.Join(", ",
                StudyRegimes.All.Where(r => !config.Regimes.Contains(r)).Select(r => r.Key())));
        return cuts;
    }

    private static void Grid(List<string> cuts, string name, double[] used, double[] design)
    {
        var dropped = design.Where(b => !used.Contains(b)).ToList();
        if (dropped.Count == 0) return;
        cuts.Add($"{name} grid {List(used)} of the design's {List(design)} ({List(dropped)} dropped)");
    }

    private static string List(IEnumerable<double> values) =>
        "{" + string.Join(", ", values.Select(v => v.ToString("0.#####", CultureInfo.InvariantCulture))) + "}";
}
