// Policy mixing end to end: choose the weights (given, or by mirror descent), then evaluate the single policies and
// the mixtures on the same prompts and noises under every reward.
using System.Globalization;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Runtime;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Mixing;

/// <summary>
/// What <c>dalign mix</c> does, for callers in C#: weights from the user or from
/// <see cref="MirrorDescentWeights"/>, then each policy alone, the chosen mixture and, optionally, evenly spaced
/// mixtures along the front, all sampled from the same initial noises and scored by every reward; policies to
/// compare with are scored on the same draws.
/// </summary>
public static class PolicyMixing
{
    /// <summary>Runs the mixing and returns the report and the chosen weights (in policy order).</summary>
    /// <param name="weights">The weights to use; null chooses them by mirror descent on <paramref name="search"/>.
    /// </param>
    /// <param name="rewards">The rewards, each with the name the report uses for it.</param>
    /// <param name="evaluation">Prompts, noises and sampling of the evaluation (its prompt set should be test).</param>
    /// <param name="frontPoints">Further mixtures of two policies at evenly spaced weights, for the front.</param>
    /// <param name="progress">(phase, samples done, samples in all), counted over the whole run.</param>
    /// <param name="comparisons">Policies scored beside the candidates but not mixed (<see
    /// cref="MixResults.Comparisons"/>); their names must differ from the candidates'.</param>
    public static (MixResults Results, MixtureWeights Weights) Run(
        IReadOnlyList<(string Name, TextToImageModel Model)> policies, MixtureWeights? weights,
        IReadOnlyList<(string Name, IRewardModel Reward)> rewards, ShapesWorld world, EvaluationConfig evaluation,
        MirrorDescentConfig search, int frontPoints = 0, IProgress<AlignmentEvaluator.Progress>? progress = null,
        CancellationToken cancel = default, IReadOnlyList<(string Name, TextToImageModel Model)>? comparisons = null)
    {
        comparisons ??= [];
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(rewards);
        evaluation.Validate();
        search.Validate();
        if (rewards.Count == 0) throw new DiffusionAlignException("give at least one reward to mix for");
        if (frontPoints < 0) throw new DiffusionAlignException($"front points must be >= 0, got {frontPoints}");
        if (frontPoints > 0 && policies.Count != 2)
            throw new DiffusionAlignException(
                $"front points lie between two policies; got {policies.Count} policies");
        using var mixture = new PolicyMixture(policies, weights ?? MixtureWeights.Uniform(policies.Count));
        var names = mixture.Names;
        var plan = EvaluationPrompts.Select(world.Split, evaluation);
        var fronts = Enumerable.Range(1, frontPoints)
            .Select(i => MixtureWeights.Normalised([(double)i / (frontPoints + 1), 1 - (double)i / (frontPoints + 1)]))
            .ToList();
        // Checked before the search: a clash found after it would throw its samples away.
        var taken = names.Append(MixResults.MixtureName).Concat(fronts.Select(FrontName))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in comparisons)
            if (!taken.Add(name))
                throw new DiffusionAlignException(
                    $"the policy to compare with is named {name}, as a policy or mixture already is");
        int searchSamples = weights is null ? SearchSamples(policies.Count, search) : 0;
        int total = SampleCount(policies.Count, weights is null, search, evaluation, frontPoints, world,
            comparisons.Count);
        int offset = 0;
        var counted = progress is null ? null : new ImmediateProgress<AlignmentEvaluator.Progress>(p =>
            progress.Report(p with { Done = offset + p.Done, Total = total }));

        MirrorDescentReport? report = null;
        var chosen = weights;
        if (chosen is null)
        {
            var searchProgress = counted is null ? null : new ImmediateProgress<AlignmentEvaluator.Progress>(p =>
                counted.Report(p with { Done = p.Done * search.SamplesPerProbe }));
            var found = MirrorDescentWeights.Find(
                mixture, [.. rewards.Select(r => r.Reward)], world, search, searchProgress, cancel);
            chosen = found.Weights;
            report = Report(found, names, rewards, search);
            offset = searchSamples;
        }

        var candidates = new List<(string Name, INoisePredictor Model, MixtureWeights Weights)>();
        for (int i = 0; i < policies.Count; i++)
            candidates.Add((names[i], policies[i].Model, MixtureWeights.Vertex(policies.Count, i)));
        using var chosenMixture = mixture.WithWeights(chosen);
        candidates.Add((MixResults.MixtureName, chosenMixture, chosen));
        var frontMixtures = fronts.Select(mixture.WithWeights).ToList();
        try
        {
            for (int i = 0; i < fronts.Count; i++)
                candidates.Add((FrontName(fronts[i]), frontMixtures[i], fronts[i]));
            // Every candidate starts sample i from the same x_T, so differences between them are paired.
            var compare = new SampleComparisons(plan, evaluation.BootstrapResamples,
                (int)(evaluation.Seed & 0x7FFFFFFF));
            Dictionary<string, RewardMean> Score(string name, INoisePredictor model)
            {
                var scores = RewardSamples.Score(model, plan.Samples, [.. rewards.Select(r => r.Reward)], evaluation,
                    name, counted, cancel);
                offset += plan.Samples.Count;
                return rewards.Select((r, j) => (r.Name, Value: Mean(compare, scores[j])))
                    .ToDictionary(x => x.Name, x => x.Value);
            }
            var scored = candidates
                .Select(c => new CandidateScores(c.Name, ByName(names, c.Weights.Values), Score(c.Name, c.Model)))
                .ToList();
            var others = comparisons.Select(c => new CandidateScores(c.Name, [], Score(c.Name, c.Model))).ToList();
            var results = new MixResults(
                ByName(names, chosen.Values),
                weights is null ? "mirror descent" : "given",
                [.. rewards.Select(r => r.Name)],
                scored,
                report,
                [],
                Settings(plan, evaluation)) { Comparisons = others };
            return (results, chosen);
        }
        finally
        {
            foreach (var m in frontMixtures) m.Dispose();
        }
    }

    /// <summary>Samples <see cref="Run"/> draws in all (what its progress counts to).</summary>
    public static int SampleCount(int policies, bool searchWeights, MirrorDescentConfig search,
        EvaluationConfig evaluation, int frontPoints, ShapesWorld world, int comparisons = 0) =>
        (searchWeights ? SearchSamples(policies, search) : 0)
        + (policies + 1 + frontPoints + comparisons) * EvaluationPrompts.Select(world.Split, evaluation).Samples.Count;

    private static int SearchSamples(int policies, MirrorDescentConfig search) =>
        search.Iterations * (policies + 1) * search.SamplesPerProbe;

    private static RewardMean Mean(SampleComparisons compare, double[] scores)
    {
        var (plain, clustered) = compare.Mean(scores);
        return new RewardMean(plain.Mean, plain.CiLow, plain.CiHigh, clustered?.CiLow, clustered?.CiHigh, plain.N);
    }

    private static MirrorDescentReport Report(MirrorDescentResult found, IReadOnlyList<string> names,
        IReadOnlyList<(string Name, IRewardModel Reward)> rewards, MirrorDescentConfig search)
    {
        var rewardNames = rewards.Select(r => r.Name).ToList();
        return new MirrorDescentReport(search.Iterations, search.SamplesPerProbe, search.StepSize, search.ProbeSize,
            EvaluationPrompts.Name(search.PromptSet), search.Seed, ByName(names, found.Last.Values),
            [.. found.Steps.Select(s => new MirrorDescentReportStep(
                ByName(names, s.Weights.Values), ByName(rewardNames, s.Rewards), ByName(names, s.Gradient),
                ByName(names, s.Next.Values)))]);
    }

    private static Dictionary<string, object?> Settings(EvaluationPrompts plan, EvaluationConfig config) => new()
    {
        ["prompt_set"] = EvaluationPrompts.Name(plan.Set),
        ["prompts"] = plan.Prompts.Count,
        ["prompts_requested"] = plan.Requested,
        ["seeds"] = config.Seeds,
        ["samples_per_candidate"] = plan.Samples.Count,
        ["sampling_steps"] = config.EffectiveSampling.Steps,
        ["guidance_scale"] = config.EffectiveSampling.GuidanceScale,
        ["eta"] = config.EffectiveSampling.Eta,
        ["seed"] = config.Seed,
        ["interval"] = "95% t interval over samples (ci_*) and, as clustered_ci_*, a "
            + ClusteredBootstrap.Describe(config.BootstrapResamples),
        ["guidance"] = "each policy's unconditional and conditional predictions mixed with the same weights, then "
            + "classifier-free guidance applied once (equal to mixing the guided predictions)",
    };

    /// <summary>A front mixture's name: its weights, e.g. <c>w=0.25/0.75</c>.</summary>
    private static string FrontName(MixtureWeights weights) =>
        "w=" + string.Join("/", weights.Values.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture)));

    private static Dictionary<string, double> ByName(IReadOnlyList<string> names, IReadOnlyList<double> values) =>
        names.Select((n, i) => (n, values[i])).ToDictionary(x => x.n, x => x.Item2);
}
