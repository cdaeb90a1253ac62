// What `dalign mix` reports (mix.json): the chosen weights, each candidate's reward means, the weight search.
using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionAlign.IO;

namespace DiffusionAlign.Mixing;

/// <summary>
/// One reward's mean over an evaluation's samples, with a 95% t interval and a prompt-clustered bootstrap interval
/// (null with fewer than two prompts; see <see cref="Evaluation.ClusteredBootstrap"/>).
/// </summary>
public sealed record RewardMean(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("ci_low")] double CiLow,
    [property: JsonPropertyName("ci_high")] double CiHigh,
    [property: JsonPropertyName("clustered_ci_low")] double? ClusteredCiLow,
    [property: JsonPropertyName("clustered_ci_high")] double? ClusteredCiHigh,
    [property: JsonPropertyName("n")] int N);

/// <summary>A single policy or a mixture, evaluated: its weights (a vertex for a single policy) and reward means.
/// </summary>
public sealed record CandidateScores(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("weights")] Dictionary<string, double> Weights,
    [property: JsonPropertyName("rewards")] Dictionary<string, RewardMean> Rewards)
{
    /// <summary>The reward with the lowest mean: what the max-min weights are chosen to raise.</summary>
    [JsonPropertyName("worst_reward")]
    public string WorstReward => Rewards.MinBy(kv => kv.Value.Mean).Key;

    [JsonPropertyName("worst_mean")]
    public double WorstMean => Rewards.Values.Min(r => r.Mean);
}

/// <summary>How mirror descent chose the weights (absent when they were given).</summary>
public sealed record MirrorDescentReport(
    [property: JsonPropertyName("iterations")] int Iterations,
    [property: JsonPropertyName("samples_per_probe")] int SamplesPerProbe,
    [property: JsonPropertyName("step_size")] double StepSize,
    [property: JsonPropertyName("probe_size")] double ProbeSize,
    [property: JsonPropertyName("prompt_set")] string PromptSet,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("last_weights")] Dictionary<string, double> LastWeights,
    [property: JsonPropertyName("steps")] List<MirrorDescentReportStep> Steps)
{
    [JsonPropertyName("estimator")]
    public string Estimator => "subgradient of the worst reward: with j the reward whose batch mean is lowest at w, "
        + "g_i = (R_j((1-d)w + d e_i) - R_j(w)) / d by forward finite differences, all probes of an iteration on the "
        + "same prompts and noises; step t: w <- w * exp(step_size / sqrt(t+1) * g), renormalised; the chosen "
        + "weights are the step-weighted average of the iterates";
}

/// <summary>One step of the search: weights, the batch's reward means there, the gradient, the next weights.</summary>
public sealed record MirrorDescentReportStep(
    [property: JsonPropertyName("weights")] Dictionary<string, double> Weights,
    [property: JsonPropertyName("rewards")] Dictionary<string, double> Rewards,
    [property: JsonPropertyName("gradient")] Dictionary<string, double> Gradient,
    [property: JsonPropertyName("next")] Dictionary<string, double> Next);

/// <summary>The contents of <c>mix.json</c>.</summary>
public sealed record MixResults(
    [property: JsonPropertyName("weights")] Dictionary<string, double> Weights,
    [property: JsonPropertyName("weights_source")] string WeightsSource,
    [property: JsonPropertyName("rewards")] List<string> Rewards,
    [property: JsonPropertyName("candidates")] List<CandidateScores> Candidates,
    [property: JsonPropertyName("mirror_descent"),
        JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    MirrorDescentReport? MirrorDescent,
    [property: JsonPropertyName("policy_folders")] Dictionary<string, string> PolicyFolders,
    [property: JsonPropertyName("settings")] Dictionary<string, object?> Settings)
{
    public const string FileName = "mix.json";

    /// <summary>
    /// Policies evaluated beside the mixing candidates on the same prompts and noises but not mixed, e.g. one policy
    /// aligned to the combined reward, which the mixture should be compared with (no weights).
    /// </summary>
    [JsonPropertyName("comparisons")]
    public List<CandidateScores> Comparisons { get; init; } = [];

    /// <summary>The name the chosen mixture has among the candidates.</summary>
    public const string MixtureName = "mixture";

    // A t interval of a single sample is NaN: written as the literal, as results.json does.
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes the JSON atomically.</summary>
    public void Save(string path) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, JsonOptions));

    /// <summary>Reads a <c>mix.json</c> back.</summary>
    /// <exception cref="DiffusionAlignException">Not valid JSON, or without weights, rewards or candidates (naming
    /// the file).</exception>
    public static MixResults Load(string path)
    {
        MixResults? results;
        try
        {
            results = JsonSerializer.Deserialize<MixResults>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not a valid {FileName}: {e.Message.ReplaceLineEndings(" ")}",
                e);
        }
        // Deserialization leaves a missing key null whatever the type says: each is checked once, here.
        string? missing = results is null ? "content"
            : results.Weights is null ? "weights"
            : results.Rewards is null || results.Rewards.Any(r => r is null) ? "rewards"
            : results.Candidates is null || results.Candidates.Any(c => c?.Rewards is null || c.Weights is null)
                ? "candidates with weights and rewards"
            : null;
        if (missing is not null) throw new DiffusionAlignException($"{path} holds no {missing}");
        return results! with
        {
            PolicyFolders = results!.PolicyFolders ?? [],
            Settings = results.Settings ?? [],
        };
    }
}
