using System.Text.Json.Serialization;
using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Training;

/// <summary>
/// The learning-rate schedules of diffusers' <c>get_scheduler</c>, under its names, so a recipe written for
/// diffusers' training scripts (<c>--lr_scheduler</c>) reads the same here. <see cref="LearningRateSchedule.For"/>
/// gives each its formula.
/// </summary>
[JsonConverter(typeof(LearningRateSchedulerWords.Converter))]
public enum LearningRateScheduler
{
    /// <summary>The peak rate from the first step; no warm-up (<c>constant</c>).</summary>
    Constant,

    /// <summary>Linear warm-up, then the peak (<c>constant_with_warmup</c>; Diffusion-DPO's and DSPO's).</summary>
    ConstantWithWarmup,

    /// <summary>Linear warm-up, then linearly down to 0 at the last step (<c>linear</c>).</summary>
    Linear,

    /// <summary>Linear warm-up, then a half cosine down to 0 at the last step (<c>cosine</c>).</summary>
    Cosine,

    /// <summary>
    /// Linear warm-up, then <see cref="AlignConfig.LrNumCycles"/> half cosines, each starting again from the
    /// peak (<c>cosine_with_restarts</c>).
    /// </summary>
    CosineWithRestarts,

    /// <summary>
    /// Linear warm-up, then (peak − end)·(1 − progress)^power + end, end = 1e-7 (<c>polynomial</c>).
    /// </summary>
    Polynomial,
}

/// <summary>diffusers' words for <see cref="LearningRateScheduler"/> (its <c>SchedulerType</c> values).</summary>
public static class LearningRateSchedulerWords
{
    private static readonly (string Word, LearningRateScheduler Value)[] Words =
    [
        ("constant", LearningRateScheduler.Constant),
        ("constant_with_warmup", LearningRateScheduler.ConstantWithWarmup),
        ("linear", LearningRateScheduler.Linear),
        ("cosine", LearningRateScheduler.Cosine),
        ("cosine_with_restarts", LearningRateScheduler.CosineWithRestarts),
        ("polynomial", LearningRateScheduler.Polynomial),
    ];

    /// <summary>Every word, as diffusers spells it.</summary>
    public static IReadOnlyList<string> All { get; } = Words.Select(w => w.Word).ToArray();

    /// <exception cref="DiffusionAlignException">Not one of <see cref="All"/>.</exception>
    public static LearningRateScheduler Parse(string word)
    {
        foreach (var (w, v) in Words)
            if (string.Equals(w, word, StringComparison.Ordinal)) return v;
        throw new DiffusionAlignException(
            $"unknown learning-rate scheduler '{word}' (expected one of: {string.Join(", ", All)})");
    }

    public static string ToWord(LearningRateScheduler value)
    {
        foreach (var (w, v) in Words)
            if (v == value) return w;
        throw new ArgumentOutOfRangeException(nameof(value), value, null);
    }

    /// <summary>Stores the scheduler in a run's settings as diffusers' word.</summary>
    public sealed class Converter : SchedulerWords.WordConverter<LearningRateScheduler>
    {
        protected override LearningRateScheduler Parse(string word) => LearningRateSchedulerWords.Parse(word);

        protected override string Format(LearningRateScheduler value) => ToWord(value);
    }
}
