using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Bench;

/// <summary>
/// DSPO step time and peak RSS under each glibc malloc mode: glibc's own defaults first (mallopt
/// cannot restore them once changed, so this must run before anything else sets a mode), then
/// <see cref="MallocMode.ReuseFreedMemory"/> and <see cref="MallocMode.ReturnFreedMemory"/>, each at
/// the demo's batch and at a large step (64×64 images) whose tensors pass glibc's 32 MiB mmap ceiling.
/// </summary>
public static class AllocatorBenchmark
{
    /// <summary>
    /// The allocator section on its own, as a fresh process runs it (<c>dalign bench</c> starts
    /// one for it): the demo's model and pairs, glibc's defaults untouched until it sets the modes.
    /// </summary>
    public static List<AllocatorTiming> RunStandalone(BenchmarkConfig config, Action<string>? log = null)
    {
        var world = new ShapesWorld();
        using var model = TextToImageModel.Create(ShapesModel.Config(world), seed: 0);
        double flops = FlopCounter.UNetForward(model.Unet, model.Tokenizer.MaxLength);
        var pairs = ShapesPairGenerator.CleanVersusFlawed(world, config.PairsPerStep, model.Config.ImageSize, seed: 0);
        // The GEMM ceiling only scales fractions, which AllocatorTiming does not carry.
        return Run(world, model, pairs, flops, gemm: 1.0, config, log);
    }

    public static List<AllocatorTiming> Run(ShapesWorld world, TextToImageModel model,
        IReadOnlyList<PreferencePair> pairs, double flopsPerImage, double gemm,
        BenchmarkConfig config, Action<string>? log = null)
    {
        log?.Invoke("malloc modes (DSPO step; glibc's defaults first):");
        int size = model.Config.ImageSize;
        var largeConfig = model.Config.AtImageSize(config.LargeImageSize);
        using var large = TextToImageModel.Create(largeConfig, seed: 0);
        double largeFlops = FlopCounter.UNetForward(large.Unet, large.Tokenizer.MaxLength);
        var largePairs = ShapesPairGenerator.CleanVersusFlawed(world, config.LargeBatchPairs,
            config.LargeImageSize, seed: 0);
        var results = new List<AllocatorTiming>();
        foreach (var mode in new MallocMode?[] { null, MallocMode.ReuseFreedMemory, MallocMode.ReturnFreedMemory })
        {
            var levers = StepLevers.Fast with { Malloc = mode };
            var small = TrainingStepBenchmark.Time(model, pairs, AlignMethod.Dspo, levers, config.WarmupSteps,
                config.TimedSteps, flopsPerImage, gemm);
            var big = TrainingStepBenchmark.Time(large, largePairs, AlignMethod.Dspo, levers, 1, 2, largeFlops, gemm);
            string name = mode is null ? "glibc_default" : mode.ToString()!;
            foreach (var (t, side) in new[] { (small, size), (big, config.LargeImageSize) })
            {
                results.Add(new AllocatorTiming(name, side, t.PairsPerStep, t.StepSeconds, t.PeakRssMiB));
                log?.Invoke($"  {name}, {side}×{side}, {t.PairsPerStep} pairs: {t.StepSeconds * 1000:F0} ms/step, "
                    + $"peak RSS {t.PeakRssMiB:F0} MiB");
            }
        }
        return results;
    }
}
