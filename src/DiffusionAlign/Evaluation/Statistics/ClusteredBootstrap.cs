namespace DiffusionAlign.Evaluation;

/// <summary>
/// Two-stage percentile bootstrap of a mean over clustered samples: an evaluation's samples are prompts × noises,
/// and samples of one prompt are correlated (a prompt a model finds hard is hard from every noise), so treating
/// all of them as independent understates the uncertainty about a new set of prompts. Each resample draws the
/// prompts with replacement, then, within each drawn prompt, its noises with replacement, and takes the mean
/// of everything drawn; the interval is the 2.5% and 97.5% quantiles of those means.
/// </summary>
/// <remarks>
/// <para>With strong within-prompt correlation the interval is about as wide as the spread between prompt means
/// allows, far wider than a naive interval over all samples. With independent samples the between-prompt stage
/// already carries the noise-level spread and the within-prompt stage adds it once more, so the interval is up
/// to √2 wider than the naive one (the factor is √(1 + (S − 1)/S) for S noises per prompt): the two-stage
/// bootstrap errs on the wide side, never the narrow one.</para>
/// <para>One prompt is an error, not a degenerate interval: with a single prompt nothing says how the mean would
/// move on other prompts, and resampling its noises alone would report the naive interval under a clustered
/// name. Seeded (<see cref="Random(int)"/>'s seeded generator is stable across .NET versions), so a report is
/// reproducible.</para>
/// </remarks>
public static class ClusteredBootstrap
{
    /// <summary>Resamples used unless told otherwise.</summary>
    public const int DefaultResamples = 2000;

    /// <summary>How the interval was computed, as results.json records it.</summary>
    public static string Describe(int resamples) =>
        $"prompt-clustered bootstrap: prompts then noises, {resamples} resamples, percentile";

    /// <summary>Mean of all values with a two-stage percentile-bootstrap 95% interval.</summary>
    /// <param name="clusters">One array of values per prompt (e.g. rewards or 1/½/0 win scores per noise).</param>
    /// <param name="resamples">Bootstrap resamples (at least 2; 2000 is customary).</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <exception cref="DiffusionAlignException">Fewer than two clusters.</exception>
    /// <exception cref="ArgumentException">An empty cluster or a value that is not finite.</exception>
    public static ClusteredInterval MeanInterval95(
        IReadOnlyList<IReadOnlyList<double>> clusters, int resamples = DefaultResamples, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        if (resamples < 2)
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "the bootstrap needs two resamples");
        if (clusters.Count < 2)
            throw new DiffusionAlignException(
                $"a prompt-clustered interval needs at least two prompts, got {clusters.Count}: "
                + "one prompt says nothing about how the mean varies between prompts");
        int n = 0;
        double total = 0;
        for (int c = 0; c < clusters.Count; c++)
        {
            var cluster = clusters[c] ?? throw new ArgumentNullException(nameof(clusters), $"cluster {c} is null");
            if (cluster.Count == 0) throw new ArgumentException($"cluster {c} has no values", nameof(clusters));
            for (int i = 0; i < cluster.Count; i++)
            {
                if (!double.IsFinite(cluster[i]))
                    throw new ArgumentException(
                        $"value {i} of cluster {c} is not a finite number ({cluster[i]})", nameof(clusters));
                total += cluster[i];
            }
            n += cluster.Count;
        }

        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            int drawn = 0;
            for (int c = 0; c < clusters.Count; c++)
            {
                var cluster = clusters[random.Next(clusters.Count)];
                for (int i = 0; i < cluster.Count; i++) sum += cluster[random.Next(cluster.Count)];
                drawn += cluster.Count;
            }
            means[r] = sum / drawn;
        }
        Array.Sort(means);
        return new ClusteredInterval(total / n, PercentileBootstrap.Quantile(means, 0.025),
            PercentileBootstrap.Quantile(means, 0.975), clusters.Count, n, resamples);
    }
}
