using System.Text.Json.Serialization;

namespace DiffusionAlign.Models.Lora;

/// <summary>
/// The shape of the LoRA adapters <see cref="LoraAdapters.Add"/> puts on attention projections: rank r, scale
/// α/r, dropout on the adapter's input, and which projections to adapt. Round-trips as JSON.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The projections of diffusers' <c>Attention</c> (UNet) that may carry adapters.</summary>
    public static IReadOnlyList<string> UnetProjections { get; } = ["to_q", "to_k", "to_v", "to_out.0"];

    /// <summary>The projections of transformers' <c>CLIPAttention</c> adapted when <see cref="TextEncoder"/>.</summary>
    public static IReadOnlyList<string> TextEncoderProjections { get; } = ["q_proj", "k_proj", "v_proj", "out_proj"];

    /// <summary>The rank r of the update B·A (B is [out, r], A is [r, in]).</summary>
    [JsonPropertyName("rank")] public required int Rank { get; init; }

    /// <summary>
    /// LoRA's α; the update is scaled by α/r. Null means α = r (scale 1), as diffusers' LoRA training scripts
    /// set <c>lora_alpha=rank</c>.
    /// </summary>
    [JsonPropertyName("alpha")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Alpha { get; init; }

    /// <summary>Dropout probability on the adapter's input (the base projection sees the input unchanged).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary>The UNet attention projections to adapt, by checkpoint name (<see cref="UnetProjections"/>).</summary>
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = UnetProjections;

    /// <summary>Also adapt the text encoder's attention (<see cref="TextEncoderProjections"/>).</summary>
    [JsonPropertyName("text_encoder")] public bool TextEncoder { get; init; }

    /// <summary>α/r, the factor on B·A.</summary>
    [JsonIgnore] public double Scale => (Alpha ?? Rank) / Rank;

    public void Validate()
    {
        InvalidSettingException.Check(Rank >= 1, nameof(Rank), $"must be at least 1, got {Rank}");
        InvalidSettingException.Check(Alpha is null || (Alpha > 0 && double.IsFinite(Alpha.Value)), nameof(Alpha),
            $"must be positive, got {Alpha}");
        InvalidSettingException.Check(Dropout is >= 0 and < 1, nameof(Dropout), $"must be in [0, 1), got {Dropout}");
        InvalidSettingException.Check(TargetModules.Count > 0, nameof(TargetModules),
            "must name at least one projection");
        foreach (string target in TargetModules)
            InvalidSettingException.Check(UnetProjections.Contains(target), nameof(TargetModules),
                $"has '{target}', which is not one of {string.Join(", ", UnetProjections)}");
        InvalidSettingException.Check(TargetModules.Distinct().Count() == TargetModules.Count, nameof(TargetModules),
            "names a projection twice");
    }

    // Compares the targets by content: a config read back from JSON equals the one that was written.
    public bool Equals(LoraConfig? other) =>
        other is not null && Rank == other.Rank && Alpha == other.Alpha && Dropout == other.Dropout
        && TextEncoder == other.TextEncoder && TargetModules.SequenceEqual(other.TargetModules);

    public override int GetHashCode() =>
        HashCode.Combine(Rank, Alpha, Dropout, TextEncoder, string.Join(",", TargetModules));
}
