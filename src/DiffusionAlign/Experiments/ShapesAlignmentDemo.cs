using System.Text.Json.Nodes;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Experiments;

/// <summary>
/// The whole pipeline on the embedded world, as the library's users would chain it: sample pairs
/// from the base model → label them with the hidden reward (Bradley–Terry) → align with SFT,
/// Diffusion-DPO and DSPO → evaluate every model against the base on held-out prompts → report.html.
/// </summary>
public static class ShapesAlignmentDemo
{
    /// <summary>The self-contained HTML report the demo writes beside results.json.</summary>
    public const string ReportFileName = "report.html";

    /// <summary>What the demo is doing, for a progress display.</summary>
    public sealed record Stage(string Name, int Done, int Total, string Status = "");

    /// <param name="log">Called by rank 0 for everything, and by every other rank once for each run it trains.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: they share the pairs' and the
    /// evaluation's sampling in whole batches (as <c>dalign pairs</c> and <c>eval</c> do), train the alignment runs
    /// whole, run i on rank i mod N, each as one process trains it, and rank 0 alone writes the pairs, results,
    /// pictures and report. <paramref name="outDir"/> must be on a file system every rank sees (each rank reads the
    /// models the others trained). Every rank returns the results. Null (or a group of one): this process does
    /// everything.
    /// </param>
    public static EvaluationResults Run(
        string baseModelDir, string outDir, DemoConfig config, Device device, IProgress<Stage>? progress = null,
        Action<string>? log = null, CancellationToken cancel = default, ICommunicator? communicator = null)
    {
        var ranks = communicator ?? SingleProcessCommunicator.Instance;
        bool root = ranks.Rank == 0;
        var rootLog = root ? log : null;
        if (root) Directory.CreateDirectory(outDir);
        var world = new ShapesWorld();
        using var baseModel = TextToImageModel.Load(baseModelDir, device);
        baseModel.Freeze();

        // 1. Pairs: training prompts for alignment, held-out prompts for ranking accuracy.
        var train = GeneratePairs(
            baseModel, world, config, heldOut: false, config.TrainPairs, Path.Combine(outDir, "pairs", "train"),
            progress, rootLog, cancel, ranks);
        var heldOut = GeneratePairs(
            baseModel, world, config, heldOut: true, config.HeldOutPairs, Path.Combine(outDir, "pairs", "heldout"),
            progress, rootLog, cancel, ranks);
        cancel.ThrowIfCancellationRequested();

        // 2. Align each method from the same base weights: every run on one rank, as one process trains it.
        var trained = new Dictionary<string, TextToImageModel>();
        var models = new Dictionary<string, TextToImageModel> { ["base"] = baseModel };
        var metrics = new Dictionary<string, string>();
        try
        {
            var dataset = new PreferenceDataset(train.Pairs);
            var runs = new RoundRobinRuns(ranks);
            foreach (var ((name, align), index) in config.Methods().Select((m, i) => (m, i)))
            {
                string dir = Path.Combine(outDir, "models", name);
                metrics[name] = Path.Combine(dir, "metrics.jsonl");
                if (!runs.Owns(index)) continue;
                var policy = baseModel.Copy();
                trained[name] = policy;
                PreferenceTrainer.Run(
                    policy, dataset, align, Path.Combine(dir, "checkpoint"), metrics[name], resume: false,
                    new ImmediateProgress<TrainingStepReport>(r => progress?.Report(new Stage(
                        $"align {name}", r.Step, r.TotalSteps,
                        $"loss {r.Loss:F4}"
                        + $"{(r.Metrics.TryGetValue("implicit_acc", out var acc) ? $" acc {acc:F2}" : "")}"
                        + $" {r.ExamplesPerSecond:F0} pairs/s"))),
                    cancel);
                policy.Freeze();
                policy.Save(dir, new Dictionary<string, string>
                {
                    ["aligned_from"] = baseModelDir,
                    ["method"] = name,
                    ["recipe"] = System.Text.Json.JsonSerializer.Serialize(align),
                });
                log?.Invoke(
                    $"{name}: trained {align.Steps} steps × {align.EffectiveBatch} pairs "
                    + $"(β={align.Beta}, lr={align.LearningRate}) → {dir}");
            }
            // The other ranks' models, from the folders they saved; in method order, as one process holds them.
            runs.Finish();
            foreach (var name in metrics.Keys)
            {
                if (!trained.TryGetValue(name, out var model))
                {
                    string dir = Path.Combine(outDir, "models", name);
                    if (!File.Exists(Path.Combine(dir, TextToImageModel.WeightsFileName)))
                        throw new DiffusionAlignException(
                            $"{dir} holds no weights although its rank trained them: the output folder must "
                            + "be on a file system every rank sees");
                    model = TextToImageModel.Load(dir, device);
                    model.Freeze();
                    trained[name] = model;
                }
                models[name] = model;
            }

            // 3. Evaluate all against the base from identical noise.
            var evalConfig = new EvaluationConfig(
                config.EvalPrompts, config.EvalSeeds, config.Sampling, config.Seed + 1000, config.ElboDraws,
                config.Dpo.Beta, train.Tau);
            var results = AlignmentEvaluator.Evaluate(models, "base", world, heldOut.Pairs, evalConfig,
                new ImmediateProgress<AlignmentEvaluator.Progress>(
                    p => progress?.Report(new Stage(p.Phase, p.Done, p.Total))),
                cancel, ranks);
            results = results with
            {
                Settings = new Dictionary<string, JsonNode?>(results.Settings)
                {
                    ["train_pairs"] = train.Pairs.Count,
                    ["label_agreement_train"] = Math.Round(train.Agreement, 3),
                    ["base_model"] = baseModelDir,
                },
                ModelFolders = models.Keys.ToDictionary(name => name,
                    name => name == "base" ? baseModelDir : Path.Combine(outDir, "models", name)),
            };
            if (root) results.Save(Path.Combine(outDir, "results.json"));

            // 4. Pictures: the same held-out noise through every model, and the training curves.
            SaveComparisonGrid(models, world, config, Path.Combine(outDir, "samples.png"), cancel: cancel,
                communicator: ranks);
            if (!root) return results;
            TrainingCurvesPlot.Save(Path.Combine(outDir, "training.png"), metrics);
            // 5. One page to judge the run by: results with intervals, the pictures, the training curves.
            HtmlReport.Write([outDir], Path.Combine(outDir, ReportFileName));
            return results;
        }
        finally
        {
            foreach (var model in trained.Values) model.Dispose();
        }
    }

    /// <summary>Every rank's pairs (each samples its share); rank 0 writes them.</summary>
    private static PairGenerationResult GeneratePairs(
        TextToImageModel model, ShapesWorld world, DemoConfig config, bool heldOut, int count, string dir,
        IProgress<Stage>? progress, Action<string>? log, CancellationToken cancel, ICommunicator ranks)
    {
        string stage = heldOut ? "pairs (held-out prompts)" : "pairs (train prompts)";
        var generation = new PairGenerationConfig(
            count, config.Seed + (heldOut ? 7919 : 0), PairSource.Model, heldOut, Tau: null, Sampling: config.Sampling);
        var result = ShapesPairGenerator.Generate(
            model, world, generation, new ImmediateProgress<int>(d => progress?.Report(new Stage(stage, d, count))),
            cancel, communicator: ranks);
        if (ranks.Rank != 0) return result;
        PairsFolder.Write(dir, result.Pairs);
        log?.Invoke(
            $"{stage}: {result.Pairs.Count} pairs, τ={result.Tau:G3}, "
            + $"labels agree with the reward order on {result.Agreement:P0}, "
            + $"mean reward {result.MeanReward:F3} → {dir}");
        return result;
    }

    /// <summary>
    /// Rows: models (base first), labelled with their names; columns: held-out prompts from the same initial noise,
    /// labelled with the prompt. Cells are enlarged to at least <see cref="LabelledImageGrid.ReadableCellSide"/>
    /// pixels so labels and samples read together.
    /// </summary>
    /// <param name="cancel">Checked before each model's row is sampled; a cancelled grid is not written.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: row r is sampled by rank r mod N
    /// (as one process samples it) and rank 0 alone writes the grid.
    /// </param>
    public static void SaveComparisonGrid(
        IReadOnlyDictionary<string, TextToImageModel> models, ShapesWorld world, DemoConfig config, string path,
        int columns = 12, CancellationToken cancel = default, ICommunicator? communicator = null)
    {
        var prompts = Enumerable.Range(0, columns)
            .Select(i => world.Split.HeldOut[i % world.Split.HeldOut.Count])
            .ToList();
        var evalConfig = new EvaluationConfig(Sampling: config.Sampling, Seed: config.Seed + 2000, BatchSize: columns);
        // One batch per row: sample (row, column) is item row × columns + column.
        var ranks = communicator ?? SingleProcessCommunicator.Instance;
        var rowsByRank = new RoundRobinBatches(ranks, columns);
        var cells = new RgbImage[models.Count * columns];
        foreach (var ((name, model), row) in models.Select((m, r) => (m, r)))
        {
            if (!rowsByRank.OwnsBatch(row * columns))
            {
                cancel.ThrowIfCancellationRequested();
                continue;
            }
            AlignmentEvaluator.Sample(model, prompts, evalConfig, name, null, cancel).CopyTo(cells, row * columns);
        }
        int side = models.Values.First().ImageSize;
        rowsByRank.AllGather<float>(cells.Length, side * side * 3,
            (i, values) => cells[i].Pixels.AsSpan().CopyTo(values),
            (i, values) => cells[i] = new RgbImage(side, side, values.ToArray()));
        if (ranks.Rank != 0) return;
        var text = new GridText(
            RowLabels: [.. models.Keys], ColumnLabels: [.. prompts.Select(p => p.ToString())]);
        int scale = LabelledImageGrid.ScaleFor(Math.Min(cells[0].Width, cells[0].Height));
        ImageCodec.SavePng(LabelledImageGrid.Compose(cells, columns, text, scale), path);
    }
}
