using System.Globalization;
using DiffusionAlign.Objectives;

namespace DiffusionAlign.Training;

/// <summary>
/// Settings of an alignment run that are valid but most likely a mistake: a run that ends during warm-up, a β
/// on another method's scale, a setting the chosen method or schedule never reads, a learning rate far above
/// the papers'. Each check is cheap and needs no model; the run goes on, the front end shows the lines.
/// </summary>
public static class AlignConfigWarnings
{
    /// <summary>Diffusion-DPO's published β (2000 in the paper, 5000 in its launchers; 2500 in diffusers).</summary>
    private const double DpoScaleLow = 100, DpoScaleHigh = 100_000;

    /// <summary>DSPO's SD1.5 form was published at 0.001 and searched up to 0.05.</summary>
    private const double ScoreMatchingHigh = 1;

    /// <summary>
    /// Peak learning rates from here on are far above the papers' full fine-tuning rate (2.048e-5 = 1e-8 × 2048
    /// pairs); on the shapes world 1e-4 made every method worse (docs/lab-notes.md).
    /// </summary>
    private const double HighLearningRate = 1e-4;

    /// <summary>Rates per pair from here on are far above the papers' 1e-8: a rate per step, scaled again.</summary>
    private const double HighLearningRatePerPair = 1e-6;

    /// <summary>
    /// The warnings about <paramref name="config"/> alone. <paramref name="given"/> names the settings (property
    /// names) the user chose; a setting the method or schedule does not read is flagged only when chosen. Null:
    /// a setting counts as chosen when it differs from <see cref="AlignConfig.DefaultsFor"/> of the method.
    /// </summary>
    public static IReadOnlyList<AlignConfigWarning> Check(AlignConfig config, IReadOnlyCollection<string>? given = null)
    {
        var defaults = AlignConfig.DefaultsFor(config.Method);
        bool Chosen(string setting, Func<AlignConfig, object?> value) =>
            given?.Contains(setting) ?? !Equals(value(config), value(defaults));
        var warnings = new List<AlignConfigWarning>();
        void Warn(string template, params string[] settings) => warnings.Add(new(template, settings));
        string method = Word(config.Method);
        string scheduler = LearningRateSchedulerWords.ToWord(config.LrScheduler);

        bool hasWarmup = config.LrScheduler != LearningRateScheduler.Constant;
        if (hasWarmup && config.Steps < config.WarmupSteps)
            Warn($"{{Steps}} {config.Steps} is fewer than {{WarmupSteps}} {config.WarmupSteps}: the run ends during "
                + $"warm-up, at {Percent((double)config.Steps / config.WarmupSteps)} of the peak learning rate",
                nameof(AlignConfig.Steps), nameof(AlignConfig.WarmupSteps));
        if (!hasWarmup && config.WarmupSteps > 0)
            Warn($"{{WarmupSteps}} {config.WarmupSteps} is unused: {{LrScheduler}} constant has no warm-up "
                + "(constant_with_warmup has)", nameof(AlignConfig.WarmupSteps), nameof(AlignConfig.LrScheduler));
        if (config.LrScheduler != LearningRateScheduler.CosineWithRestarts
            && Chosen(nameof(AlignConfig.LrNumCycles), c => c.LrNumCycles))
            Warn($"{{LrNumCycles}} is unused by {{LrScheduler}} {scheduler} (only cosine_with_restarts reads it)",
                nameof(AlignConfig.LrNumCycles), nameof(AlignConfig.LrScheduler));
        if (config.LrScheduler != LearningRateScheduler.Polynomial
            && Chosen(nameof(AlignConfig.LrPower), c => c.LrPower))
            Warn($"{{LrPower}} is unused by {{LrScheduler}} {scheduler} (only polynomial reads it)",
                nameof(AlignConfig.LrPower), nameof(AlignConfig.LrScheduler));

        foreach (var (setting, value) in new (string, Func<AlignConfig, object?>)[]
                 {
                     (nameof(AlignConfig.Beta), c => c.Beta),
                     (nameof(AlignConfig.DspoVariant), c => c.DspoVariant),
                     (nameof(AlignConfig.DspoMarginBeta), c => c.DspoMarginBeta),
                 })
            if (!AlignConfig.Uses(config.Method, setting) && Chosen(setting, value))
                Warn($"{{{setting}}} is unused by {{Method}} {method}"
                    + (setting == nameof(AlignConfig.Beta) ? " (SFT has no reference model to keep close to)" : ""),
                    setting, nameof(AlignConfig.Method));

        BetaScale(config, Warn);

        if (config.LearningRatePerPair is { } perPair && perPair >= HighLearningRatePerPair)
            Warn($"{{LearningRatePerPair}} {N(perPair)} is taken per pair: × {config.EffectiveBatch} pairs it makes a "
                + $"peak of {N(config.LearningRate)}; the papers scale 1e-8 per pair (2.048e-5 for 2048 pairs)",
                nameof(AlignConfig.LearningRatePerPair));
        else if (config.Lora is null && config.LearningRate >= HighLearningRate)
            Warn($"{{LearningRate}} {N(config.LearningRate)} is high for full fine-tuning: the papers' peak is "
                + "2.048e-5, and on the shapes world 1e-4 made every method worse", nameof(AlignConfig.LearningRate));
        return warnings;
    }

    /// <summary>The warnings that need the size of the training data.</summary>
    public static IReadOnlyList<AlignConfigWarning> CheckData(AlignConfig config, int pairCount)
    {
        var warnings = new List<AlignConfigWarning>();
        if (config.EffectiveBatch > pairCount)
            warnings.Add(new(
                $"{{BatchSize}} × {{GradAccum}} = {config.EffectiveBatch} pairs per step is more than the {pairCount} "
                + "pairs of the data: every step uses some pairs twice",
                [nameof(AlignConfig.BatchSize), nameof(AlignConfig.GradAccum)]));
        return warnings;
    }

    /// <summary>β far from where each method was published (docs/method.md explains the two scales).</summary>
    private static void BetaScale(AlignConfig config, Action<string, string[]> warn)
    {
        string beta = N(config.Beta);
        string[] settings = [nameof(AlignConfig.Beta)];
        switch (config.Method)
        {
            case AlignMethod.Dspo when config.DspoVariant == DspoVariant.ScoreMatching:
                if (config.Beta >= ScoreMatchingHigh)
                    warn($"{{Beta}} {beta} is far above the 0.001 published for DSPO's SD1.5 form: its shift term "
                        + "then outweighs the score matching; β on DPO's scale belongs to {DspoVariant} sdxl",
                        [nameof(AlignConfig.Beta), nameof(AlignConfig.DspoVariant)]);
                break;
            case AlignMethod.Dspo:
                if (config.Beta < DpoScaleLow)
                    warn($"{{Beta}} {beta} is far below the 5000 published for DSPO's SDXL branch, which takes β on "
                        + "DPO's scale (0.001 is the SD1.5 form's)", settings);
                else if (config.Beta >= DpoScaleHigh)
                    warn($"{{Beta}} {beta} is far above the 5000 published for DSPO's SDXL branch", settings);
                break;
            case AlignMethod.Dpo:
                if (config.Beta < DpoScaleLow)
                    warn($"{{Beta}} {beta} is far below Diffusion-DPO's published 2000–5000: the loss stays near "
                        + "log 2 and hardly moves (0.001 is DSPO's SD1.5 scale, not DPO's)", settings);
                else if (config.Beta >= DpoScaleHigh)
                    warn($"{{Beta}} {beta} is far above Diffusion-DPO's published 2000–5000", settings);
                break;
        }
    }

    private static string Percent(double share) =>
        (100 * share).ToString("0", CultureInfo.InvariantCulture) + "%";

    private static string Word(AlignMethod method) => method.ToString().ToLowerInvariant();

    /// <summary>A number in the short form recipes are written in (2e-05), not .NET's 2E-05.</summary>
    private static string N(double x) => x.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e");
}
