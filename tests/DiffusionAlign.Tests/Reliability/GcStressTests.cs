using System.Diagnostics;
using System.Globalization;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Tests.Native;
using DiffusionAlign.Tests.Training;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Real alignment work (DSPO and Diffusion-DPO steps in turn, sampling, evaluation) on the micro model while
/// another thread forces collections back to back (<see cref="GcStressCollector"/>). A number the library
/// handed LibTorch as an unrooted Scalar would be freed mid-call and end the process (docs/build-notes.md,
/// "Implicit Scalars"): the IL test finds such calls by reading the code, this one by running it. A soak runs
/// longer with DALIGN_SOAK_SECONDS.
/// </summary>
/// <remarks>
/// LibTorch runs on one intra-op thread here: the collector keeps a core busy, and with several threads every
/// tiny op waits at a thread barrier on contended cores, which made a round several times slower. The
/// Scalar is read on the calling thread either way.
/// </remarks>
[Collection(GcStressCollection.Name)]
public sealed class GcStressTests : IDisposable
{
    private const double DefaultSeconds = 60;

    // A loaded two-core machine still finished over 20 gen-2 collections a second beside this work (and twenty
    // young ones per full one); a floor far below that only catches a collector that stopped collecting.
    private const double MinCollectionsPerSecond = 5;

    // Growth after the first round beyond this is a leak, not the allocator settling.
    private const long MaxGrowthMb = 256;

    private static readonly string[] Prompts =
        { "a red circle on a blue background", "a green square on a white background" };

    private readonly ITestOutputHelper _output;
    private readonly int _intraOpThreads = get_num_threads();

    public GcStressTests(ITestOutputHelper output)
    {
        _output = output;
        set_num_threads(1);
    }

    public void Dispose() => set_num_threads(_intraOpThreads);

    [Fact]
    public void AlignmentWorkSurvivesContinuousCollections()
    {
        double budget = BudgetSeconds();
        var world = new ShapesWorld();
        var trainPairs = PreferenceTrainerTests.RendererPairs(8);
        var heldOut = PreferenceTrainerTests.RendererPairs(4, seed: 7).ToList();
        using var policy = TestModels.Micro(seed: 1);
        using var baseline = policy.Copy();
        baseline.Freeze();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = baseline, ["policy"] = policy };
        var steps = new Dictionary<string, int> { ["dspo"] = 0, ["dpo"] = 0 };
        int samples = 0, evaluations = 0, nonFinite = 0;
        var losses = new ImmediateProgress<TrainingStepReport>(r => nonFinite += double.IsFinite(r.Loss) ? 0 : 1);

        void Train(AlignMethod method, int round)
        {
            using var dir = new TestModels.TempDir();
            var config = AlignConfig.DefaultsFor(method) with
            {
                Steps = 2, BatchSize = 2, WarmupSteps = 0, LearningRate = 1e-4, CheckpointEvery = 0, Seed = round,
            };
            steps[method == AlignMethod.Dspo ? "dspo" : "dpo"] += PreferenceTrainer.Run(policy, trainPairs, config,
                Path.Combine(dir.Path, "ckpt"), Path.Combine(dir.Path, "metrics.jsonl"), resume: false, losses);
        }

        void Sample(int round)
        {
            policy.Freeze(); // as after training; the next run's trainer unfreezes what it trains
            using var scope = NewDisposeScope();
            var noise = TextToImageSampler.InitialNoise(Prompts.Length, 16, seed: round);
            var images = TextToImageSampler.Generate(policy, Prompts, noise, new SamplingOptions(4, 3.0), round);
            Assert.True(isfinite(images).all().item<bool>(), $"non-finite pixels in round {round}");
            samples += Prompts.Length;
        }

        void Evaluate(int round)
        {
            policy.Freeze();
            var config = new EvaluationConfig(Prompts: 2, Seeds: 1, Sampling: new SamplingOptions(3, 2.0),
                Seed: round, ElboDraws: 2, Tau: 0.05);
            var results = AlignmentEvaluator.Evaluate(models, "base", world, heldOut, config);
            Assert.True(double.IsFinite(results.Models["policy"].MeanReward), $"non-finite reward in round {round}");
            Assert.InRange(results.RankingAccuracy["policy"], 0, 1);
            evaluations++;
        }

        var pieces = new Action<int>[]
            { r => Train(AlignMethod.Dspo, r), r => Train(AlignMethod.Dpo, r), Sample, Evaluate };
        int done = 0, full, young;
        long firstRoundMb = 0;
        int gen2Before = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        using (var collector = GcStressCollector.Start())
        {
            // Every kind of work runs at least once; after that a piece starts only while time is left.
            while (done < pieces.Length || clock.Elapsed.TotalSeconds < budget)
            {
                pieces[done % pieces.Length](done / pieces.Length);
                if (++done == pieces.Length) firstRoundMb = Environment.WorkingSet >> 20;
            }
            (full, young) = (collector.FullCollections, collector.YoungCollections);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var summary = new GcStressSummary(budget, Math.Round(seconds, 1), done / pieces.Length, steps, samples,
            evaluations, GC.CollectionCount(2) - gen2Before, full, young, nonFinite, firstRoundMb,
            Environment.WorkingSet >> 20);
        Report(summary);

        Assert.True(steps["dspo"] > 0 && steps["dpo"] > 0, "both objectives must have trained");
        Assert.True(samples > 0 && evaluations > 0, "sampling and evaluation must have run");
        Assert.Equal(0, nonFinite);
        Assert.True(summary.Gen2Collections >= MinCollectionsPerSecond * seconds,
            $"only {summary.Gen2Collections} gen-2 collections in {seconds:F0} s");
        Assert.True(summary.WorkingSetAtEndMb - firstRoundMb <= MaxGrowthMb,
            $"resident memory grew from {firstRoundMb} MB to {summary.WorkingSetAtEndMb} MB");
    }

    /// <summary>The stress code must not itself be what crashes: none of it may pass a bare number.</summary>
    [Fact]
    public void StressCodePassesNoImplicitScalar()
    {
        string[] own =
        [
            typeof(GcStressTests).Namespace + ".GcStress",
            typeof(TestModels).FullName + ".",
            $"{typeof(PreferenceTrainerTests).FullName}.{nameof(PreferenceTrainerTests.RendererPairs)}",
        ];
        var found = ImplicitScalarScanner.Scan(typeof(GcStressTests).Assembly.Location)
            .Where(f => own.Any(prefix => f.Key.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary();
        Assert.True(found.Count == 0, string.Join("\n", found.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}")));
    }

    private static double BudgetSeconds()
    {
        string? text = Environment.GetEnvironmentVariable("DALIGN_SOAK_SECONDS");
        if (string.IsNullOrWhiteSpace(text)) return DefaultSeconds;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0) return s;
        throw new ArgumentException($"DALIGN_SOAK_SECONDS must be a positive number of seconds, got '{text}'");
    }

    /// <summary>To the test output always, and to the file DALIGN_SOAK_REPORT names if set.</summary>
    private void Report(GcStressSummary summary)
    {
        string json = summary.ToJson();
        _output.WriteLine(json);
        string? path = Environment.GetEnvironmentVariable("DALIGN_SOAK_REPORT");
        if (string.IsNullOrWhiteSpace(path)) return;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, json + "\n");
    }
}
