using System.Text.Json.Serialization;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Bench;

/// <summary>One (image size, batch) point of the scaling sweep.</summary>
public sealed record ScalingPoint(
    [property: JsonPropertyName("image_size")] int ImageSize,
    [property: JsonPropertyName("pairs_per_step")] int PairsPerStep,
    [property: JsonPropertyName("unet_gflops_per_forward")] double UnetGflopsPerForward,
    [property: JsonPropertyName("step_seconds")] double StepSeconds,
    [property: JsonPropertyName("gflops_per_second")] double GflopsPerSecond,
    [property: JsonPropertyName("fraction_of_gemm")] double FractionOfGemm,
    [property: JsonPropertyName("peak_rss_mib")] double? PeakRssMiB,
    [property: JsonPropertyName("memory_budget_mib")] double MemoryBudgetMiB)
{
    /// <summary>Peak RSS over what the step must hold (the benchmark's memory ratio, target ≤ 1.5).</summary>
    [JsonPropertyName("peak_over_budget")]
    public double? PeakOverBudget => PeakRssMiB / MemoryBudgetMiB;
}

/// <summary>
/// DSPO step time and throughput over image sizes × pairs per step, with the demo's architecture
/// (fully convolutional, so one set of layer shapes serves every size; the 8×8 attention level
/// moves to size/4). Shows how cost grows with the work and where small batches leave cores idle.
/// </summary>
public static class ScalingSweep
{
    public static List<ScalingPoint> Run(ShapesWorld world, IReadOnlyList<int> sizes, IReadOnlyList<int> batches,
        double gemm, int warmupSteps, int timedSteps, Action<string>? log = null)
    {
        var points = new List<ScalingPoint>();
        var baseConfig = ShapesModel.Config(world);
        foreach (int size in sizes)
        {
            var config = baseConfig.AtImageSize(size);
            using var model = TextToImageModel.Create(config, seed: 0);
            double flopsPerImage = FlopCounter.UNetForward(model.Unet, model.Tokenizer.MaxLength);
            double activationBytes = ActivationMemory.UNetSavedBytesPerImage(model.Unet, model.Tokenizer.MaxLength);
            foreach (int batch in batches)
            {
                var pairs = ShapesPairGenerator.CleanVersusFlawed(world, batch, size, seed: 0);
                var timing = TrainingStepBenchmark.Time(model, pairs, AlignMethod.Dspo, StepLevers.Fast, warmupSteps,
                    timedSteps, flopsPerImage, gemm);
                var budget = MemoryBudget.For(model, batch, activationBytes);
                var point = new ScalingPoint(size, batch, flopsPerImage / 1e9, timing.StepSeconds,
                    timing.GflopsPerSecond, timing.FractionOfGemm, timing.PeakRssMiB, budget.BudgetMiB);
                points.Add(point);
                log?.Invoke($"  {size}×{size}, {batch,2} pairs: {timing.StepSeconds * 1000,7:F0} ms/step, "
                    + $"{timing.GflopsPerSecond,6:F1} GFLOP/s ({timing.FractionOfGemm:P0} of GEMM)"
                    + (point.PeakOverBudget is double ratio
                        ? $", peak RSS {point.PeakRssMiB:F0} MiB = {ratio:F2}× "
                            + $"the {budget.BudgetMiB:F0} MiB it must hold"
                        : ""));
            }
        }
        return points;
    }
}
