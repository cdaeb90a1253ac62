namespace DiffusionAlign.Evaluation;

/// <summary>
/// A mean over <see cref="N"/> samples in <see cref="Clusters"/> prompts with a prompt-clustered 95% bootstrap
/// interval (see <see cref="ClusteredBootstrap"/>).
/// </summary>
public sealed record ClusteredInterval(double Estimate, double CiLow, double CiHigh, int Clusters, int N, int Resamples)
{
    /// <summary>How the interval was computed, as results.json records it.</summary>
    public string Method => ClusteredBootstrap.Describe(Resamples);
}
