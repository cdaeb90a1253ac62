using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Data.Generation;

/// <summary>
/// <c>labels.json</c> beside a generated pairs folder: how its labels were drawn (τ, agreement),
/// so an evaluation can later compute the idealized ranking accuracy on the same scale. Pairs labelled by a
/// learned reward model name it in <c>labeler</c> (absent for the true reward); their τ is on that model's scale.
/// </summary>
public sealed record PairLabelInfo(
    [property: JsonPropertyName("tau")] double Tau,
    [property: JsonPropertyName("agreement")] double Agreement,
    [property: JsonPropertyName("expected_agreement")] double ExpectedAgreement,
    [property: JsonPropertyName("mean_reward")] double MeanReward,
    [property: JsonPropertyName("pairs")] int Pairs,
    [property: JsonPropertyName("labeler"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Labeler = null,
    [property: JsonPropertyName("true_reward_agreement"),
        JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    double? TrueRewardAgreement = null)
{
    public const string FileName = "labels.json";

    public static void Save(string dir, PairGenerationResult result)
    {
        var info = new PairLabelInfo(result.Tau, result.Agreement, result.ExpectedAgreement, result.MeanReward,
            result.Pairs.Count, result.Labeler, result.TrueRewardAgreement);
        File.WriteAllText(
            Path.Combine(dir, FileName),
            JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The label info of a pairs folder, or null if it has none (e.g. human-labelled data).</summary>
    public static PairLabelInfo? TryLoad(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<PairLabelInfo>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not valid JSON: {e.Message}");
        }
    }
}
