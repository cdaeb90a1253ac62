using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// Loops that run for thousands of iterations must free every tensor they make: one left to the
/// garbage collector holds native memory, which the GC does not see, until some later collection.
/// Counts are TorchSharp's per-thread live-tensor statistics (created minus disposed on this
/// thread), so tests running in parallel do not disturb them and a tensor only a finalizer would
/// free counts as leaked.
/// </summary>
/// <remarks>
/// Hundreds of tiny steps cost per-operation overhead and, with several intra-op threads, a thread
/// barrier per operation, which slows badly when other work competes for the cores. These tests
/// therefore run on their own after the parallel ones, on one intra-op thread (what is counted
/// does not depend on it).
/// </remarks>
[Collection(LongLoopsCollection.Name)]
public sealed class NativeTensorLeakTests : IDisposable
{
    private readonly int _intraOpThreads = get_num_threads();

    public NativeTensorLeakTests() => set_num_threads(1);

    public void Dispose() => set_num_threads(_intraOpThreads);

    private const int WarmUpSteps = 10;
    private const int ImageSize = 8;

    // Smaller still than TestModels.Micro (8×8 images, 4 and 8 channels), so 200 steps of each
    // method cost a few seconds: per-step time here is mostly per-operation overhead.
    private static TextToImageModel Nano(ShapesWorld world)
    {
        var micro = TestModels.MicroConfig(world);
        return TextToImageModel.Create(micro with
        {
            ImageSize = ImageSize,
            Unet = micro.Unet with { SampleSize = ImageSize, BlockOutChannels = [4, 8], NormNumGroups = 2,
                CrossAttentionDim = 8, AttentionHeadDim = 2 },
            TextEncoder = micro.TextEncoder with { HiddenSize = 8, IntermediateSize = 16 },
        }, seed: 4);
    }

    private static PreferenceDataset Pairs(ShapesWorld world, int count) =>
        new(ShapesPairGenerator.CleanVersusFlawed(world, count, ImageSize, seed: 3));

    private static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    /// <summary>
    /// Records the live-tensor count each time the trainer reports (synchronously, on the training thread).
    /// </summary>
    private sealed class CountAtLoggedSteps : IProgress<TrainingStepReport>
    {
        public SortedDictionary<int, long> Counts { get; } = new();

        public void Report(TrainingStepReport value) => Counts[value.Step] = LiveTensors;
    }

    [Theory]
    [InlineData(AlignMethod.Dspo)]
    [InlineData(AlignMethod.Dpo)]
    public void TwoHundredTrainingStepsLeaveTheLiveTensorCountFlat(AlignMethod method)
    {
        var world = new ShapesWorld();
        var pairs = Pairs(world, 8);
        // Metrics are summed over 5 steps and read back, and a checkpoint is written at step 100,
        // so those paths run too.
        var config = AlignConfig.DefaultsFor(method) with { Steps = 200, BatchSize = 1, WarmupSteps = 5,
            LogEvery = 5, CheckpointEvery = 100 };
        using var dir = new TestModels.TempDir();
        using var model = Nano(world);
        var counts = new CountAtLoggedSteps();

        PreferenceTrainer.Run(model, pairs, config, Path.Combine(dir.Path, "ckpt"),
            Path.Combine(dir.Path, "metrics.jsonl"), resume: false, counts);

        Assert.Equal(200 / 5, counts.Counts.Count);
        var afterWarmUp = counts.Counts.Where(kv => kv.Key >= WarmUpSteps).ToList();
        Assert.True(afterWarmUp.All(kv => kv.Value == afterWarmUp[0].Value),
            $"live tensors by step: {string.Join(", ", afterWarmUp.Select(kv => $"{kv.Key}: {kv.Value}"))}");
    }

    [Fact]
    public void FiftySamplerCallsLeaveTheLiveTensorCountFlat()
    {
        using var model = Nano(new ShapesWorld());
        model.Freeze();
        string[] prompts = ["a red circle on a blue background", "a green square on a white background"];
        using var noise = TextToImageSampler.InitialNoise(2, ImageSize, seed: 9);
        var options = new SamplingOptions(Steps: 2, GuidanceScale: 3);
        long before = LiveTensors;
        var counts = new List<long>();
        for (int call = 0; call < 50; call++)
        {
            // Called outside any dispose scope, as the benchmark and the CLI do; the caller owns only the images.
            TextToImageSampler.Generate(model, prompts, noise, options).Dispose();
            counts.Add(LiveTensors - before);
        }

        Assert.True(counts.All(c => c == 0), $"tensors left alive after each call: {string.Join(", ", counts)}");
    }

    [Fact]
    public void RepeatedDenoisingErrorEstimatesLeaveTheLiveTensorCountFlat()
    {
        var world = new ShapesWorld();
        using var model = Nano(world);
        model.Freeze();
        var pairs = Pairs(world, 3);
        long before = LiveTensors;
        for (int call = 0; call < 20; call++)
            DenoisingErrors.Estimate(model, pairs, draws: 2, seed: call, batchPairs: 2);

        Assert.Equal(before, LiveTensors);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LongLoopsCollection
{
    public const string Name = "Long loops";
}
