using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// Per-model sample statistics on held-out prompts. The interval properties after <see cref="N"/> were added
/// later: null when read from an older file, and then not written.
/// </summary>
public sealed record ModelScores(
    [property: JsonPropertyName("mean_reward")] double MeanReward,
    [property: JsonPropertyName("mean_reward_ci_low")] double MeanRewardCiLow,
    [property: JsonPropertyName("mean_reward_ci_high")] double MeanRewardCiHigh,
    [property: JsonPropertyName("colour_accuracy")] double ColourAccuracy,
    [property: JsonPropertyName("n")] int N) : IClusteredEntry
{
    /// <inheritdoc/>
    [JsonPropertyName("ci_method")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CiMethod { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_low")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClusteredCiLow { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_high")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClusteredCiHigh { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_method")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClusteredCiMethod { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("prompts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Prompts { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("seeds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Seeds { get; init; }

    /// <summary>Training replicates pooled in the entry (<see cref="PooledReplicates"/>); null for one model.</summary>
    [JsonPropertyName("replicates")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Replicates { get; init; }
}

/// <summary>
/// One model's win rate against another (<see cref="Vs"/>), ties counted ½, with a 95% Wilson interval and, in
/// files written since it was added, a prompt-clustered one (null when read from an older file, then not written).
/// </summary>
public sealed record WinRateEntry(
    [property: JsonPropertyName("vs")] string Vs,
    [property: JsonPropertyName("rate")] double Rate,
    [property: JsonPropertyName("ci_low")] double CiLow,
    [property: JsonPropertyName("ci_high")] double CiHigh,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("wins")] int Wins,
    [property: JsonPropertyName("ties")] int Ties,
    [property: JsonPropertyName("losses")] int Losses) : IClusteredEntry
{
    /// <inheritdoc/>
    [JsonPropertyName("ci_method")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CiMethod { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_low")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClusteredCiLow { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_high")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ClusteredCiHigh { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("clustered_ci_method")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClusteredCiMethod { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("prompts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Prompts { get; init; }

    /// <inheritdoc/>
    [JsonPropertyName("seeds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Seeds { get; init; }

    /// <summary>Training replicates pooled in the entry (<see cref="PooledReplicates"/>); null for one model.</summary>
    [JsonPropertyName("replicates")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Replicates { get; init; }
}

/// <summary>
/// <c>results.json</c>: the layout is an interface users script against. <c>ranking_accuracy</c> is
/// each model's own likelihood-proxy ranking accuracy on held-out pairs (Chen et al. 2024: lower
/// matched-draw denoising error = higher ELBO); <c>implicit_reward_accuracy</c> is the DPO implicit
/// reward's (r̂ relative to the baseline) ranking accuracy; <c>idealized_ranking_accuracy</c> is what
/// the exact DPO optimum at β would reach with the true reward.
/// </summary>
public sealed record EvaluationResults
{
    [JsonPropertyName("models")]
    public Dictionary<string, ModelScores> Models { get; init; } = new();

    [JsonPropertyName("win_rate")]
    public Dictionary<string, WinRateEntry> WinRate { get; init; } = new();

    /// <summary>Every pair of non-baseline models against each other, keyed "a_vs_b".</summary>
    [JsonPropertyName("head_to_head")]
    public Dictionary<string, WinRateEntry> HeadToHead { get; init; } = new();

    [JsonPropertyName("ranking_accuracy")]
    public Dictionary<string, double> RankingAccuracy { get; init; } = new();

    [JsonPropertyName("implicit_reward_accuracy")]
    public Dictionary<string, double> ImplicitRewardAccuracy { get; init; } = new();

    [JsonPropertyName("idealized_ranking_accuracy")]
    public double? IdealizedRankingAccuracy { get; init; }

    /// <summary>
    /// Held-out pairs whose label agrees with the true reward order: the ceiling any ranking can reach on noisy labels.
    /// </summary>
    [JsonPropertyName("label_reward_agreement")]
    public double? LabelRewardAgreement { get; init; }

    /// <summary>Mean reward of uniform-noise images for the same prompts: the floor a model must clear.</summary>
    [JsonPropertyName("noise_image_reward")]
    public double NoiseImageReward { get; init; }

    [JsonPropertyName("held_out_pairs")]
    public int HeldOutPairs { get; init; }

    [JsonPropertyName("baseline")]
    public string Baseline { get; init; } = "";

    /// <summary>
    /// How the evaluation ran: numbers as JSON numbers, words as strings, null where unknown (files written before
    /// numbers were typed hold strings; both read back).
    /// </summary>
    [JsonPropertyName("settings")]
    public Dictionary<string, JsonNode?> Settings { get; init; } = new();

    // Added later: null when read from an older file (or when not measured), and then not written.

    /// <summary>The prompt set sampled: "test" (the held-out test prompts) or "validation".</summary>
    [JsonPropertyName("prompt_set")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PromptSet { get; init; }

    /// <summary>Reward differences up to this are ties in every win rate (see <see cref="ScoreResolution"/>).</summary>
    [JsonPropertyName("reward_resolution")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RewardResolution { get; init; }

    [JsonPropertyName("reward_resolution_method")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RewardResolutionMethod { get; init; }

    /// <summary>Per model, idealized minus its observed ranking accuracy on the held-out pairs.</summary>
    [JsonPropertyName("alignment_gap")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, AlignmentGapResult>? AlignmentGap { get; init; }

    /// <summary>The same comparisons under the second judge, which training never sees.</summary>
    [JsonPropertyName("judge")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JudgeResults? Judge { get; init; }

    /// <summary>Each model's folder, as the caller loaded it (null when the caller did not say).</summary>
    [JsonPropertyName("model_folders")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? ModelFolders { get; init; }

    /// <summary>Comparisons the reward and the judge decide differently (empty when they agree on all).</summary>
    [JsonPropertyName("judge_disagreements")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<JudgeDisagreement>? JudgeDisagreements { get; init; }

    /// <summary>
    /// Per model name given more than once (training replicates, each also a model <c>NAME#k</c> above), the
    /// replicates pooled against the baseline; null when every name was given once.
    /// </summary>
    [JsonPropertyName("pooled")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, PooledReplicates>? Pooled { get; init; }

    // A t interval of a single sample is NaN; written as the literal (which common JSON readers accept) rather than
    // failing the whole save.
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// Reads a results.json that <c>dalign eval</c> or <c>dalign demo</c> wrote (older files too: fields added later
    /// read as null).
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// The file is missing, not JSON, or not an evaluation's results.
    /// </exception>
    public static EvaluationResults Load(string path)
    {
        if (!File.Exists(path)) throw new DiffusionAlignException($"results file not found: {path}");
        EvaluationResults? results;
        try
        {
            results = JsonSerializer.Deserialize<EvaluationResults>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not an evaluation's results.json: {e.Message}", e);
        }
        // Every evaluation names its baseline and records its settings; other JSON files (mix.json, a study's) don't.
        if (results is null || string.IsNullOrEmpty(results.Baseline) || results.Settings.Count == 0)
            throw new DiffusionAlignException(
                $"{path} is not an evaluation's results.json (no baseline or settings; 'dalign eval' writes one)");
        return results;
    }

    /// <summary>Writes the JSON atomically (temp file + rename).</summary>
    public void Save(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        DiffusionAlign.IO.AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, JsonOptions));
    }
}
