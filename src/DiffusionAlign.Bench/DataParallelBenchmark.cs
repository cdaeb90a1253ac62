using System.Diagnostics;
using System.Runtime.InteropServices;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench;

/// <summary>Sizes of the data-parallel benchmark (<c>dalign bench --mpi</c>).</summary>
public sealed record DataParallelBenchConfig
{
    /// <summary>
    /// Pairs per optimizer step over all processes, one case each: the demo's (the recipe's micro-batch, no
    /// accumulation) and a larger batch.
    /// </summary>
    public IReadOnlyList<int> GlobalPairs { get; init; } =
        [new AlignConfig().BatchSize, new BenchmarkConfig().LargeBatchPairs];

    /// <summary>Untimed steps first, the same number on every process (each step is a collective).</summary>
    public int WarmupSteps { get; init; } = new BenchmarkConfig().WarmupSteps;

    public int TimedSteps { get; init; } = new BenchmarkConfig().TimedSteps;

    /// <summary>The model timed; null: the shapes-world model the demo aligns.</summary>
    public ModelConfig? Model { get; init; }

    public void Validate()
    {
        if (GlobalPairs.Count == 0 || GlobalPairs.Any(p => p < 1))
            throw new DiffusionAlignException("--pairs and --large-pairs must be at least 1");
        if (TimedSteps < 1) throw new DiffusionAlignException($"--timed-steps must be at least 1, got {TimedSteps}");
        if (WarmupSteps < 0)
            throw new DiffusionAlignException($"--warmup-steps must be at least 0, got {WarmupSteps}");
    }
}

/// <summary>
/// Times the data-parallel alignment step (<see cref="PreferenceTrainer"/>'s, full fine-tune, DSPO) in whatever
/// layout it runs under: N processes (<c>mpirun -np N</c>, or one alone) × T LibTorch threads each. Each process
/// trains its shard of the global batch; a step is split into compute (forward and backward of the shard), wait
/// (a barrier: the time until the slowest process is done), the all-reduce of the flat gradient, and the optimizer
/// (finiteness check, clipping, AdamW). The trainer has no barrier, so there the wait is part of the all-reduce.
/// </summary>
public static class DataParallelBenchmark
{
    public const string Method = "dspo";

    public static DataParallelLayoutResult Run(ICommunicator communicator, DataParallelBenchConfig config,
        Action<string>? log = null)
    {
        config.Validate();
        if (communicator.Rank != 0) log = null;
        var world = new ShapesWorld();
        using var start = TextToImageModel.Create(config.Model ?? ShapesModel.Config(world), seed: 0);
        int threads = get_num_threads();
        log?.Invoke($"data-parallel step: {communicator.Size} process(es) × {threads} thread(s), "
            + $"{start.Config.ImageSize}×{start.Config.ImageSize} images, {Method} full fine-tune");
        var cases = new List<DataParallelCaseTiming>();
        foreach (int pairs in config.GlobalPairs)
        {
            var timing = TimeCase(communicator, start, world, pairs, config);
            cases.Add(timing);
            log?.Invoke($"{pairs} pairs per step ({timing.PairsPerRank} per process): "
                + $"{timing.StepSeconds * 1000:F1} ms/step, {timing.PairsPerSecond:F1} pairs/s; compute "
                + $"{timing.ComputeSeconds * 1000:F1} ms (slowest process {timing.SlowestComputeSeconds * 1000:F1}), "
                + $"wait {timing.WaitSeconds * 1000:F2} ms, all-reduce {timing.AllReduceSeconds * 1000:F2} ms of "
                + $"{timing.AllReduceBytes / 1048576.0:F1} MiB, optimizer {timing.OptimizerSeconds * 1000:F1} ms");
        }
        return new DataParallelLayoutResult(communicator.Size, threads, Environment.ProcessorCount, Method,
            start.Config.ImageSize, cases[0].Parameters, config.WarmupSteps, config.TimedSteps, cases,
            DateTime.UtcNow.ToString("o"));
    }

    private static DataParallelCaseTiming TimeCase(ICommunicator communicator, TextToImageModel start,
        ShapesWorld world, int globalPairs, DataParallelBenchConfig config)
    {
        if (globalPairs % communicator.Size != 0)
            throw new DiffusionAlignException(
                $"{globalPairs} pairs per step do not split evenly over {communicator.Size} processes");
        int perRank = globalPairs / communicator.Size;
        var shard = BatchShard.ForRank(communicator.Rank, communicator.Size, perRank);
        var align = AlignConfig.DefaultsFor(AlignMethod.Dspo) with
        {
            BatchSize = perRank, DataParallelProcesses = communicator.Size,
        };
        var objective = align.CreateObjective();
        var pairs = shard.Pairs(
            ShapesPairGenerator.CleanVersusFlawed(world, globalPairs, start.Config.ImageSize, seed: 0));
        using var policy = start.Copy();
        using var reference = start.Copy();
        reference.Freeze();
        foreach (var p in policy.Modules.parameters()) p.requires_grad = false;
        foreach (var p in policy.TrainableParameters()) p.requires_grad = true;
        policy.TextEncoder.eval();
        policy.Unet.train();
        using var optimizer = new FlatAdamW(policy.TrainableParameters(), align.OptimizerSettings());

        var compute = new List<double>();
        var wait = new List<double>();
        var allReduce = new List<double>();
        var update = new List<double>();
        var step = new List<double>();
        void Step(int index, bool timed)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            optimizer.ZeroGrad();
            var output = PreferenceStep.Run(policy, reference, objective, pairs, align, index, shard);
            output.Loss.backward();
            double c = clock.Elapsed.TotalSeconds;
            communicator.Barrier();
            double w = clock.Elapsed.TotalSeconds - c;
            optimizer.AverageGradients(communicator);
            double a = clock.Elapsed.TotalSeconds - c - w;
            if (optimizer.GradientsFinite())
            {
                optimizer.ClipGradNorm(align.GradClipNorm).Dispose();
                optimizer.Step();
            }
            double total = clock.Elapsed.TotalSeconds;
            if (!timed) return;
            compute.Add(c);
            wait.Add(w);
            allReduce.Add(a);
            update.Add(total - c - w - a);
            step.Add(total);
        }

        for (int i = 0; i < config.WarmupSteps; i++) Step(i, timed: false);
        communicator.Barrier(); // the timed steps start together
        for (int i = 0; i < config.TimedSteps; i++) Step(config.WarmupSteps + i, timed: true);

        double computeMedian = TrainingStepBenchmark.Median(compute);
        var everyCompute = new double[communicator.Size];
        communicator.AllGather(MemoryMarshal.AsBytes(new[] { computeMedian }.AsSpan()),
            MemoryMarshal.AsBytes(everyCompute.AsSpan()));
        double stepMedian = TrainingStepBenchmark.Median(step);
        long bytes = optimizer.Count * sizeof(float);
        double allReduceMedian = TrainingStepBenchmark.Median(allReduce);
        return new DataParallelCaseTiming(globalPairs, perRank, stepMedian, globalPairs / stepMedian, computeMedian,
            everyCompute.Max(), TrainingStepBenchmark.Median(wait), allReduceMedian,
            TrainingStepBenchmark.Median(update), bytes, RingBytesPerProcess(bytes, communicator.Size),
            allReduceMedian / stepMedian, optimizer.Count);
    }

    /// <summary>
    /// What a ring all-reduce of <paramref name="bytes"/> sends (and receives) per process: 2(N − 1)/N of it. A model
    /// of the traffic, not a measurement (Open MPI picks its algorithm by size and may send more).
    /// </summary>
    public static long RingBytesPerProcess(long bytes, int processes) => 2L * (processes - 1) * bytes / processes;
}
