using System.Text.Json.Serialization;
using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Benchmarks;

/// <summary>
/// What an alignment step must hold, against the peak RSS it was measured at. The target:
/// peak RSS ≤ 1.5 × (weights + gradients + optimizer state + kept activations). The process's
/// fixed cost (the .NET runtime and LibTorch's code and thread pools, measured before any model
/// exists) is reported beside it, because at the demo's size it is larger than the whole budget.
/// </summary>
public sealed record MemoryBudget
{
    [JsonPropertyName("weights_mib")] public double WeightsMiB { get; init; }
    [JsonPropertyName("gradients_mib")] public double GradientsMiB { get; init; }
    [JsonPropertyName("optimizer_state_mib")] public double OptimizerStateMiB { get; init; }
    [JsonPropertyName("activations_mib")] public double ActivationsMiB { get; init; }
    [JsonPropertyName("budget_mib")] public double BudgetMiB => WeightsMiB + GradientsMiB + OptimizerStateMiB + ActivationsMiB;
    [JsonPropertyName("process_baseline_rss_mib")] public double? BaselineRssMiB { get; init; }
    [JsonPropertyName("alignment_peak_rss_mib")] public double? PeakRssMiB { get; init; }

    /// <summary>Peak RSS over budget: the ratio (target ≤ 1.5).</summary>
    [JsonPropertyName("peak_over_budget")] public double? PeakOverBudget => PeakRssMiB / BudgetMiB;

    /// <summary>(Peak − baseline) over budget: what the step itself adds, over what it must hold.</summary>
    [JsonPropertyName("step_growth_over_budget")] public double? GrowthOverBudget => (PeakRssMiB - BaselineRssMiB) / BudgetMiB;

    [JsonPropertyName("target_ratio")] public double TargetRatio => 1.5;

    [JsonPropertyName("target_met")] public bool? TargetMet => PeakOverBudget <= TargetRatio;

    /// <summary>
    /// Budget of an alignment step on <paramref name="pairs"/> pairs: policy and reference weights
    /// (UNet and text encoder, fp32), gradients and AdamW's two moments for the trainable UNet, and
    /// the policy forward's kept activations on 2·pairs images (the reference keeps none).
    /// </summary>
    public static MemoryBudget For(TextToImageModel model, int pairs, double activationBytesPerImage)
    {
        const double mib = 1024.0 * 1024.0;
        double all = model.Modules.parameters().Sum(p => p.numel()) * 4.0;
        double trainable = model.Unet.parameters().Sum(p => p.numel()) * 4.0;
        return new MemoryBudget
        {
            WeightsMiB = 2 * all / mib,
            GradientsMiB = trainable / mib,
            OptimizerStateMiB = 2 * trainable / mib,
            ActivationsMiB = 2.0 * pairs * activationBytesPerImage / mib,
        };
    }
}
