using System.Text.Json.Serialization;
using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Bench;

/// <summary>
/// What an alignment step must hold, against the peak RSS it was measured at. The benchmark's target
/// (docs/benchmark.md, "Step time and memory against the targets"):
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
    [JsonPropertyName("budget_mib")]
    public double BudgetMiB => WeightsMiB + GradientsMiB + OptimizerStateMiB + ActivationsMiB;
    [JsonPropertyName("process_baseline_rss_mib")] public double? BaselineRssMiB { get; init; }
    [JsonPropertyName("alignment_peak_rss_mib")] public double? PeakRssMiB { get; init; }

    /// <summary>Peak RSS over budget: the benchmark's memory ratio (target ≤ 1.5).</summary>
    [JsonPropertyName("peak_over_budget")] public double? PeakOverBudget => PeakRssMiB / BudgetMiB;

    /// <summary>(Peak − baseline) over budget: what the step itself adds, over what it must hold.</summary>
    [JsonPropertyName("step_growth_over_budget")]
    public double? GrowthOverBudget => (PeakRssMiB - BaselineRssMiB) / BudgetMiB;

    // Where the peak goes. File-backed pages are the mapped code of .NET and LibTorch (shared,
    // clean, re-readable from disk); anonymous pages are what the process allocated.
    [JsonPropertyName("baseline_file_backed_rss_mib")] public double? BaselineFileBackedMiB { get; init; }
    [JsonPropertyName("baseline_anonymous_rss_mib")] public double? BaselineAnonymousMiB { get; init; }
    [JsonPropertyName("peak_file_backed_rss_mib")] public double? PeakFileBackedMiB { get; init; }

    /// <summary>
    /// Peak − file-backed, exact when the file-backed part stayed constant over the timed steps (else null).
    /// </summary>
    [JsonPropertyName("peak_anonymous_rss_mib")] public double? PeakAnonymousMiB { get; init; }

    /// <summary>
    /// malloc's totals between steps at the peak's configuration (its heap size includes trimmed, non-resident
    /// pages).
    /// </summary>
    [JsonPropertyName("heap_between_steps")] public Machine.HeapStatistics? HeapBetweenSteps { get; init; }

    /// <summary>malloc's heap before any model exists.</summary>
    [JsonPropertyName("baseline_heap")] public Machine.HeapStatistics? BaselineHeap { get; init; }

    /// <summary>
    /// (malloc's bytes in use after the policy forward − before any model) over budget: the live
    /// tensors and buffers of the alignment against what it must hold, without malloc's free space.
    /// </summary>
    [JsonPropertyName("live_after_policy_forward_over_budget")]
    public double? LiveOverBudget => HeapAfterPolicyForward is { } live && BaselineHeap is { } baseline
        ? (live.InUseMiB + live.MmappedMiB - baseline.InUseMiB - baseline.MmappedMiB) / BudgetMiB
        : null;

    /// <summary>malloc's heap right after the policy forward, when the kept activations are all alive.</summary>
    [JsonPropertyName("heap_after_policy_forward")] public Machine.HeapStatistics? HeapAfterPolicyForward { get; init; }

    /// <summary>
    /// (Peak anonymous − baseline anonymous) over budget: the memory the alignment allocated, over what it must
    /// hold.
    /// </summary>
    [JsonPropertyName("step_anonymous_growth_over_budget")]
    public double? AnonymousGrowthOverBudget => (PeakAnonymousMiB - BaselineAnonymousMiB) / BudgetMiB;

    [JsonPropertyName("target_ratio")] public double TargetRatio => 1.5;

    [JsonPropertyName("target_met")] public bool? TargetMet => PeakOverBudget <= TargetRatio;

    /// <summary>The peak taken apart, in one line for the bench's log and target check.</summary>
    public string Anatomy()
    {
        var parts = new List<string>();
        if (PeakRssMiB is double peak && PeakFileBackedMiB is double file)
            parts.Add(FormattableString.Invariant($"peak {peak:F0} MiB = file-backed {file:F0} ")
                + "(code of .NET and LibTorch; "
                + FormattableString.Invariant($"{BaselineFileBackedMiB:F0} before any model)")
                + (PeakAnonymousMiB is double anon
                    ? FormattableString.Invariant($" + anonymous {anon:F0} ({BaselineAnonymousMiB:F0} ")
                        + "before any model)"
                    : ""));
        if (AnonymousGrowthOverBudget is double growth)
            parts.Add("the alignment's anonymous memory "
                + FormattableString.Invariant($"{PeakAnonymousMiB - BaselineAnonymousMiB:F0} MiB = {growth:F2}× ")
                + FormattableString.Invariant($"the {BudgetMiB:F1} MiB budget"));
        if (HeapAfterPolicyForward is { } live)
        {
            double inUse = live.InUseMiB + live.MmappedMiB;
            parts.Add(
                FormattableString.Invariant($"with the policy's activations alive malloc has {inUse:F0} MiB in use")
                + (LiveOverBudget is double ratio
                    ? FormattableString.Invariant($" ({BaselineHeap!.InUseMiB + BaselineHeap.MmappedMiB:F0} ")
                        + "before any model: the alignment's live memory is "
                        + FormattableString.Invariant($"{ratio:F2}× the budget)")
                    : ""));
            // mallinfo's heap size counts trimmed pages too, so the resident rest comes from the RSS.
            if (PeakAnonymousMiB is double anon)
                parts.Add(FormattableString.Invariant($"the other {anon - inUse:F0} MiB of the anonymous peak ")
                    + "are freed heap kept resident for reuse, thread stacks and the .NET heap");
        }
        return string.Join("; ", parts);
    }

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
