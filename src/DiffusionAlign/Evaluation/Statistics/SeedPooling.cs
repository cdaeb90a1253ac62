namespace DiffusionAlign.Evaluation;

/// <summary>A quantity over training seeds: its mean, sample standard deviation (n − 1) and range.</summary>
public sealed record SeedSpread(double Mean, double? Sd, double Min, double Max, int Seeds);

/// <summary>
/// A win rate pooled over training seeds: every seed's paired comparisons together (n = seeds × prompts × noises),
/// with a Wilson interval over all of them and a prompt-clustered bootstrap interval whose clusters are the prompts,
/// each holding all seeds' comparisons on it, so the interval speaks for new prompts and covers seed noise too.
/// </summary>
public sealed record PooledRate(
    double Rate, double CiLow, double CiHigh, double ClusteredCiLow, double ClusteredCiHigh, int N, int Wins,
    int Ties, int Losses, int Prompts, int Seeds);

/// <summary>
/// Statistics across training seeds: replicates of one recipe trained under different <c>--seed</c>s, each sampled
/// on the same prompts and initial noises. <c>dalign study</c>'s test stage and <c>dalign eval</c>'s replicate
/// groups pool with it.
/// </summary>
public static class SeedPooling
{
    /// <exception cref="ArgumentException">No values.</exception>
    public static SeedSpread Spread(IReadOnlyList<double> perSeed)
    {
        if (perSeed.Count == 0) throw new ArgumentException("no seeds", nameof(perSeed));
        double mean = perSeed.Average();
        double? sd = perSeed.Count < 2
            ? null
            : Math.Sqrt(perSeed.Sum(v => (v - mean) * (v - mean)) / (perSeed.Count - 1));
        return new SeedSpread(mean, sd, perSeed.Min(), perSeed.Max(), perSeed.Count);
    }

    /// <summary>
    /// The rate of A over B pooled over seeds. Each seed gives A's and B's scores per sample, prompt-major with
    /// <paramref name="noisesPerPrompt"/> samples per prompt and the same prompt and noise at each index.
    /// A difference above <paramref name="resolution"/> is a win, below its negative a loss, else a tie (½).
    /// </summary>
    public static PooledRate WinRate(IReadOnlyList<(double[] A, double[] B)> seeds, int noisesPerPrompt,
        double resolution, int resamples, int bootstrapSeed)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seeds", nameof(seeds));
        var outcomes = seeds
            .Select(s => PairedOutcomes.Tally(PairedOutcomes.Differences(s.A, s.B, "A", "B"), resolution,
                "a pooled win rate"))
            .ToList();
        var clusters = Clusters(outcomes.Select(o => o.Scores).ToList(), noisesPerPrompt);
        var interval = ClusteredBootstrap.MeanInterval95(clusters, resamples, bootstrapSeed);
        int wins = outcomes.Sum(o => o.Wins), ties = outcomes.Sum(o => o.Ties), losses = outcomes.Sum(o => o.Losses);
        int n = wins + ties + losses;
        var (low, high) = WilsonScoreInterval.Compute(wins + ties / 2.0, n);
        return new PooledRate((wins + ties / 2.0) / n, low, high, interval.CiLow, interval.CiHigh, n, wins, ties,
            losses, clusters.Count, seeds.Count);
    }

    /// <summary>A mean (e.g. reward) pooled over seeds with its prompt-clustered interval.</summary>
    public static ClusteredInterval Mean(IReadOnlyList<double[]> seeds, int noisesPerPrompt, int resamples,
        int bootstrapSeed) =>
        ClusteredBootstrap.MeanInterval95(Clusters(seeds, noisesPerPrompt), resamples, bootstrapSeed);

    /// <summary>One cluster per prompt holding every seed's values on it.</summary>
    public static IReadOnlyList<IReadOnlyList<double>> Clusters(IReadOnlyList<double[]> seeds, int noisesPerPrompt)
    {
        if (noisesPerPrompt < 1) throw new ArgumentOutOfRangeException(nameof(noisesPerPrompt));
        int length = seeds[0].Length;
        if (seeds.Any(s => s.Length != length) || length % noisesPerPrompt != 0)
            throw new ArgumentException(
                $"every seed needs the same number of samples, a multiple of {noisesPerPrompt}", nameof(seeds));
        int prompts = length / noisesPerPrompt;
        return [.. Enumerable.Range(0, prompts).Select(p => (IReadOnlyList<double>)seeds
            .SelectMany(s => s.Skip(p * noisesPerPrompt).Take(noisesPerPrompt)).ToArray())];
    }

    /// <summary>The verdict of an interval that holds ½.</summary>
    public const string NoClearDifference = "no clear difference";

    /// <summary>What an interval around a rate says against ½.</summary>
    public static string Verdict(double low, double high, string better, string worse) =>
        low > 0.5 ? better : high < 0.5 ? worse : NoClearDifference;
}
