using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DiffusionAlign.Models;

namespace DiffusionAlign.Schedulers;

/// <summary>
/// The noise schedule's contract, with the keys of diffusers' <c>scheduler_config.json</c> so a config
/// from a Stable Diffusion checkpoint loads as is (keys we do not use are ignored with a
/// <see cref="Runtime.Warnings"/> line; diffusers' own, such as <c>_class_name</c>, silently).
/// Defaults are Stable Diffusion 1.x's DDIM settings.
/// </summary>
public sealed record NoiseScheduleConfig
{
    [JsonPropertyName("num_train_timesteps")]
    public int NumTrainTimesteps { get; init; } = 1000;

    [JsonPropertyName("beta_start")]
    public double BetaStart { get; init; } = 0.00085;

    [JsonPropertyName("beta_end")]
    public double BetaEnd { get; init; } = 0.012;

    [JsonPropertyName("beta_schedule")]
    [JsonConverter(typeof(SchedulerWords.BetaScheduleConverter))]
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.ScaledLinear;

    [JsonPropertyName("prediction_type")]
    [JsonConverter(typeof(SchedulerWords.PredictionTypeConverter))]
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>Added to "leading" inference timesteps; with 1, SD's last DDIM step is t = 1.</summary>
    [JsonPropertyName("steps_offset")]
    public int StepsOffset { get; init; } = 1;

    /// <summary>When false the last DDIM step lands on ᾱ_0 rather than 1 (SD's choice).</summary>
    [JsonPropertyName("set_alpha_to_one")]
    public bool SetAlphaToOne { get; init; }

    /// <summary>
    /// Clamp the predicted x0 to [−clip_sample_range, clip_sample_range] during sampling (pixel models).
    /// </summary>
    [JsonPropertyName("clip_sample")]
    public bool ClipSample { get; init; }

    [JsonPropertyName("clip_sample_range")]
    public double ClipSampleRange { get; init; } = 1.0;

    [JsonPropertyName("timestep_spacing")]
    [JsonConverter(typeof(SchedulerWords.TimestepSpacingConverter))]
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>Largest <see cref="NumTrainTimesteps"/> accepted.</summary>
    public const int MaxTrainTimesteps = 100_000;

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // A key given twice says two things; refused here rather than as an ArgumentException from CheckKeys' tree.
        AllowDuplicateProperties = false,
    };

    // Keys of diffusers' DDIMScheduler we do not model, with the only value that keeps the schedule we compute.
    private static readonly Dictionary<string, JsonNode?> NeutralValues = new()
    {
        ["trained_betas"] = null,
        ["thresholding"] = false,
        ["rescale_betas_zero_snr"] = false,
    };

    // PNDM's sampling switch (diffusers drops it silently when a DDIM scheduler reads a PNDM config), and the
    // settings of the thresholding we refuse above.
    private static readonly HashSet<string> InertKeys =
        ["skip_prk_steps", "dynamic_thresholding_ratio", "sample_max_value"];

    /// <summary>Checks the values are usable, so a bad config fails when loaded rather than mid-training.</summary>
    /// <exception cref="DiffusionAlignException">A value is out of range.</exception>
    public NoiseScheduleConfig Validate()
    {
        // The schedule holds several arrays of this length, so a damaged digit must not size them in gigabytes;
        // published schedules use 1000 to 4000 steps.
        if (NumTrainTimesteps is < 1 or > MaxTrainTimesteps)
            throw new DiffusionAlignException(
                $"num_train_timesteps must lie in [1, {MaxTrainTimesteps}], got {NumTrainTimesteps}");
        if (!(BetaStart > 0 && BetaStart < 1) || !(BetaEnd > 0 && BetaEnd < 1))
            throw new DiffusionAlignException(
                $"beta_start and beta_end must lie in (0, 1), got {BetaStart} and {BetaEnd}");
        if (StepsOffset < 0 || StepsOffset >= NumTrainTimesteps)
            throw new DiffusionAlignException($"steps_offset must lie in [0, num_train_timesteps), got {StepsOffset}");
        if (!(ClipSampleRange > 0))
            throw new DiffusionAlignException($"clip_sample_range must be positive, got {ClipSampleRange}");
        return this;
    }

    /// <summary>Serialises with diffusers' snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses a <c>scheduler_config.json</c> text; keys we do not use are ignored with a warning.</summary>
    /// <exception cref="DiffusionAlignException">Invalid JSON, a wrongly typed
    /// value, an unknown schedule word, or an out-of-range value.</exception>
    public static NoiseScheduleConfig FromJson(string json, string what = "scheduler config")
    {
        NoiseScheduleConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<NoiseScheduleConfig>(json, Options);
        }
        catch (JsonException e)
        {
            // The word converters' messages ("expected a string for BetaSchedule") do not say which key was wrong.
            string key = e.Path?.TrimStart('$', '.') ?? "";
            string at = key.Length > 0 && !e.Message.Contains(key, StringComparison.Ordinal) ? $": {key}" : "";
            throw new DiffusionAlignException($"{what}{at} is not a valid scheduler config ({OneLine(e.Message)})", e);
        }
        catch (DiffusionAlignException e)
        {
            throw new DiffusionAlignException($"{what}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but no .NET string; reading one throws this.
            throw new DiffusionAlignException($"{what} holds a string that is not valid Unicode: {e.Message}", e);
        }
        if (config is null) throw new DiffusionAlignException($"{what} is not a valid scheduler config (null)");
        try
        {
            var keys = JsonNode.Parse(
                json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
            ConfigJson.CheckKeys<NoiseScheduleConfig>(keys!.AsObject(), what, NeutralValues, InertKeys);
            return config.Validate();
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{what} is not a valid scheduler config ({OneLine(e.Message)})", e);
        }
        catch (DiffusionAlignException e)
        {
            throw new DiffusionAlignException($"{what}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new DiffusionAlignException($"{what} holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    /// <summary>Reads a <c>scheduler_config.json</c> file.</summary>
    public static NoiseScheduleConfig Load(string path)
    {
        if (!File.Exists(path)) throw new DiffusionAlignException($"scheduler config not found: {path}");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Writes the config as <c>scheduler_config.json</c>-style JSON, creating the folder if needed.</summary>
    public void Save(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson());
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
