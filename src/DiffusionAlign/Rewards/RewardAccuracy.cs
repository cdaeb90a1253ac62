// How well a reward model ranks preference pairs: against their labels and against the true reward's order.
using DiffusionAlign.Data;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Rewards;

/// <summary>A proportion with its 95% Wilson interval and the number of pairs behind it.</summary>
public sealed record ProportionInterval(double Value, double CiLow, double CiHigh, int N)
{
    /// <summary><paramref name="successes"/> of <paramref name="n"/> (fractional for ties), or null when n is 0.
    /// </summary>
    public static ProportionInterval? Of(double successes, int n)
    {
        if (n == 0) return null;
        var (low, high) = WilsonScoreInterval.Compute(successes, n);
        return new ProportionInterval(successes / n, low, high, n);
    }
}

/// <summary>The pair accuracies of one reward model on one set of pairs.</summary>
/// <param name="Model">The reward model's name.</param>
/// <param name="Pairs">Pairs scored.</param>
/// <param name="LabelAccuracy">Pairs whose labelled winner the model scores higher (ties ½).</param>
/// <param name="TrueOrderAccuracy">
/// Pairs whose higher-reward image (by the shapes world's true reward) the model scores higher (ties ½), over
/// the pairs with a shapes prompt and a nonzero true-reward gap; null when there are none (e.g. Pick-a-Pic data).
/// </param>
/// <param name="LabelTrueAgreement">The labels' own agreement with the true reward order on the same pairs: the
/// ceiling label accuracy reaches for a model that ranks exactly like the true reward.</param>
/// <param name="TrueRewardTies">Pairs with a shapes prompt left out of the true-order figures because both images
/// have the same true reward.</param>
public sealed record RewardAccuracyResult(
    string Model,
    int Pairs,
    ProportionInterval LabelAccuracy,
    ProportionInterval? TrueOrderAccuracy,
    ProportionInterval? LabelTrueAgreement,
    int TrueRewardTies);

/// <summary>Measures <see cref="RewardAccuracyResult"/>.</summary>
public static class RewardAccuracy
{
    /// <summary>
    /// Scores both images of every pair with <paramref name="model"/>. Pairs carry no reward of their own
    /// (<c>pairs.jsonl</c> holds prompts, images and p_winner; <c>labels.json</c> only τ and summary figures), so
    /// the true reward order is recomputed from the pixels with <paramref name="world"/>'s reward, for pairs whose
    /// prompt is a shapes-world prompt.
    /// </summary>
    public static RewardAccuracyResult Evaluate(
        IRewardModel model, IReadOnlyList<PreferencePair> pairs, ShapesWorld world)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(world);
        if (pairs.Count == 0) throw new DiffusionAlignException("no pairs to evaluate the reward model on");
        var prompts = pairs.Select(p => p.Prompt).ToArray();
        double[] chosen = model.Score(prompts, pairs.Select(p => p.Winner).ToArray());
        double[] rejected = model.Score(prompts, pairs.Select(p => p.Loser).ToArray());

        double labelHits = 0, trueHits = 0, labelTrueHits = 0;
        int trueN = 0, ties = 0;
        for (int i = 0; i < pairs.Count; i++)
        {
            double margin = chosen[i] - rejected[i];
            labelHits += Agreement(margin);
            if (!TryParse(pairs[i].Prompt, out var prompt)) continue;
            double trueGap = world.Reward.Score(prompt, pairs[i].Winner) - world.Reward.Score(prompt, pairs[i].Loser);
            if (trueGap == 0)
            {
                ties++;
                continue;
            }
            trueN++;
            trueHits += Agreement(Math.Sign(trueGap) * margin);
            labelTrueHits += trueGap > 0 ? 1 : 0;
        }
        return new RewardAccuracyResult(model.Name, pairs.Count, ProportionInterval.Of(labelHits, pairs.Count)!,
            ProportionInterval.Of(trueHits, trueN), ProportionInterval.Of(labelTrueHits, trueN), ties);
    }

    /// <summary>1 when the model agrees with the order, ½ for a tie, 0 otherwise.</summary>
    private static double Agreement(double margin) => margin > 0 ? 1 : margin == 0 ? 0.5 : 0;

    private static bool TryParse(string text, out ShapesPrompt prompt)
    {
        try
        {
            prompt = ShapesPrompt.Parse(text);
            return true;
        }
        catch (DiffusionAlignException)
        {
            prompt = null!;
            return false;
        }
    }
}
