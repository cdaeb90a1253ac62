namespace DiffusionAlign.Data;

/// <summary>
/// The Bradley–Terry preference model: a labeller with rewards <c>ra</c>, <c>rb</c> prefers a with
/// probability σ((ra − rb)/τ). Used to turn a ground-truth reward into noisy human-like labels,
/// with the temperature τ setting how often the labels disagree with the reward order.
/// </summary>
public static class BradleyTerry
{
    /// <summary>Probability that a is preferred over b: σ((ra − rb)/τ).</summary>
    public static double Probability(double ra, double rb, double tau)
    {
        if (!(tau > 0) || double.IsInfinity(tau))
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "temperature must be positive and finite");
        return Sigmoid((ra - rb) / tau);
    }

    /// <summary>Draws one label: true if a is preferred.</summary>
    public static bool Label(double ra, double rb, double tau, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return rng.NextDouble() < Probability(ra, rb, tau);
    }

    /// <summary>
    /// Expected fraction of BT labels that agree with the reward order: mean over pairs of σ(|Δr|/τ).
    /// Pairs with Δr = 0 contribute ½ at any τ.
    /// </summary>
    public static double ExpectedAgreement(IReadOnlyList<double> rewardDifferences, double tau)
    {
        ArgumentNullException.ThrowIfNull(rewardDifferences);
        if (rewardDifferences.Count == 0)
            throw new ArgumentException("need at least one reward difference", nameof(rewardDifferences));
        double sum = 0;
        foreach (double d in rewardDifferences) sum += Probability(Math.Abs(d), 0, tau);
        return sum / rewardDifferences.Count;
    }

    /// <summary>
    /// The temperature τ at which BT labels agree with the reward order on a fraction
    /// <paramref name="targetAgreement"/> of pairs in expectation, found by bisection on log τ
    /// (agreement falls monotonically from its τ→0 limit to ½ as τ grows).
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// The target is outside (½, 1) or unreachable because too many differences are zero.
    /// </exception>
    public static double TemperatureForAgreement(IReadOnlyList<double> rewardDifferences, double targetAgreement = 0.8)
    {
        ArgumentNullException.ThrowIfNull(rewardDifferences);
        if (rewardDifferences.Count == 0)
            throw new DiffusionAlignException("cannot calibrate the label temperature: no reward differences");
        if (!(targetAgreement > 0.5 && targetAgreement < 1))
            throw new DiffusionAlignException(
                $"target label agreement must be strictly between 0.5 and 1, got {targetAgreement}");

        double scale = 0;
        int nonZero = 0;
        foreach (double d in rewardDifferences)
        {
            if (!double.IsFinite(d))
                throw new DiffusionAlignException(
                    "cannot calibrate the label temperature: a reward difference is not finite");
            if (d != 0) nonZero++;
            scale = Math.Max(scale, Math.Abs(d));
        }
        // As τ → 0 zero differences stay at ½ and the rest go to 1.
        double limit = (nonZero + 0.5 * (rewardDifferences.Count - nonZero)) / rewardDifferences.Count;
        if (targetAgreement >= limit)
            throw new DiffusionAlignException(
                $"target label agreement {targetAgreement} is unreachable: "
                + $"{rewardDifferences.Count - nonZero} of {rewardDifferences.Count} reward differences are zero, "
                + $"so agreement stays below {limit:G4}");

        double lo = scale, hi = scale; // lo: agreement above target; hi: agreement below target.
        while (ExpectedAgreement(rewardDifferences, lo) <= targetAgreement) lo /= 2;
        while (ExpectedAgreement(rewardDifferences, hi) >= targetAgreement) hi *= 2;
        for (int i = 0; i < 200 && hi / lo > 1 + 1e-12; i++)
        {
            double mid = Math.Sqrt(lo * hi);
            if (ExpectedAgreement(rewardDifferences, mid) > targetAgreement) lo = mid;
            else hi = mid;
        }
        return Math.Sqrt(lo * hi);
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
