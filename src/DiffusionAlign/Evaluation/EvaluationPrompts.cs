using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// The samples an evaluation draws: each prompt of the chosen set at most once, in set order, times
/// <see cref="Seeds"/> initial noises. Sample i is prompt <c>i / Seeds</c> with noise index i, so samples of
/// one prompt are contiguous (the clusters of the prompt-clustered bootstrap) and every model shares x_T per i.
/// </summary>
public sealed record EvaluationPrompts(PromptSet Set, IReadOnlyList<ShapesPrompt> Prompts, int Seeds, int Requested)
{
    /// <summary>One entry per sample, prompt-major: <c>Samples[p · Seeds + s]</c> is <c>Prompts[p]</c>.</summary>
    public IReadOnlyList<ShapesPrompt> Samples { get; } =
        [.. Prompts.SelectMany(prompt => Enumerable.Repeat(prompt, Seeds))];

    /// <summary>True when more prompts were asked for than the set has: each of its prompts is used once.</summary>
    public bool Capped => Requested > Prompts.Count;

    /// <summary>
    /// The first <c>config.Prompts</c> prompts of <c>config.PromptSet</c> (all of them if it has fewer).
    /// </summary>
    /// <exception cref="DiffusionAlignException">The set has no prompts.</exception>
    public static EvaluationPrompts Select(PromptSplit split, EvaluationConfig config)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(config);
        var set = split.Of(config.PromptSet);
        if (set.Count == 0) throw new DiffusionAlignException($"the {Name(config.PromptSet)} prompt set is empty");
        return new EvaluationPrompts(
            config.PromptSet, [.. set.Take(config.Prompts)], config.Seeds, config.Prompts);
    }

    /// <summary>The set's name as results.json and the command line spell it.</summary>
    public static string Name(PromptSet set) => set.ToString().ToLowerInvariant();

    /// <summary><paramref name="values"/> (one per sample, prompt-major) split into one array per prompt.</summary>
    public IReadOnlyList<double[]> ByPrompt(IReadOnlyList<double> values)
    {
        if (values.Count != Samples.Count)
            throw new ArgumentException($"{values.Count} values for {Samples.Count} samples", nameof(values));
        return [.. Enumerable.Range(0, Prompts.Count)
            .Select(p => Enumerable.Range(p * Seeds, Seeds).Select(i => values[i]).ToArray())];
    }
}
