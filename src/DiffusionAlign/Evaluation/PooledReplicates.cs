using System.Text.Json.Serialization;

namespace DiffusionAlign.Evaluation;

/// <summary>A per-replicate quantity across a group's replicates: mean, sample sd (n − 1) and range.</summary>
public sealed record ReplicateSpread(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("sd")] double? Sd,
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("max")] double Max)
{
    /// <summary>The spread of one value per replicate (see <see cref="SeedPooling.Spread"/>).</summary>
    public static ReplicateSpread Of(IReadOnlyList<double> perReplicate)
    {
        var spread = SeedPooling.Spread(perReplicate);
        return new ReplicateSpread(spread.Mean, spread.Sd, spread.Min, spread.Max);
    }
}

/// <summary>
/// A replicate group of results.json (<see cref="ReplicateGroups"/>): its replicates pooled as
/// <see cref="SeedPooling"/> pools training seeds. <see cref="WinRate"/> counts every replicate's paired comparisons
/// with the baseline together (n = replicates × prompts × noises); its clustered interval resamples prompts, each
/// holding all replicates' comparisons on it, so it covers replicate-to-replicate variation too.
/// <see cref="Scores"/> pools the samples the same way. <see cref="AcrossReplicates"/> holds the spread of the
/// per-replicate figures ("win_rate", "mean_reward", "judge_win_rate").
/// </summary>
public sealed record PooledReplicates(
    [property: JsonPropertyName("replicates")] List<string> Replicates,
    [property: JsonPropertyName("scores")] ModelScores Scores,
    [property: JsonPropertyName("win_rate")] WinRateEntry WinRate,
    [property: JsonPropertyName("across_replicates")] Dictionary<string, ReplicateSpread> AcrossReplicates)
{
    /// <summary>The pooled win rate under the second judge (null when no judge scored the samples).</summary>
    [JsonPropertyName("judge_win_rate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WinRateEntry? JudgeWinRate { get; init; }
}
