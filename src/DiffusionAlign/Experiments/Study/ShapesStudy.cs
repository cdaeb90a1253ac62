using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Distributed;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The DSPO-vs-DPO study on the embedded world (docs/study.md): pairs in three data regimes → a grid of settings
/// per method, each judged at several checkpoints on validation → the best per regime and method → more training
/// seeds → one test evaluation → tables, correlations, plots and a report. Each stage saves its results under the
/// study folder; a run of one stage reads the earlier ones from there, and a stopped study continues where it
/// stopped (finished runs and evaluations are kept, not redone).
/// </summary>
public static class ShapesStudy
{
    /// <summary>
    /// Runs every stage not yet finished in order, or only <paramref name="only"/> (from the saved earlier stages).
    /// Returns the report when the summary stage ran, else null.
    /// </summary>
    /// <param name="log">
    /// Called by rank 0 for everything, and by every other rank once for each run or replicate it does.
    /// </param>
    /// <param name="cancel">Passed to every trainer, generator and evaluator: a stopped study keeps its work.</param>
    /// <param name="communicator">
    /// The processes of an <c>mpirun</c> job, each called with the same arguments: they share the pairs' and the
    /// base model's sampling in whole batches, deal the grid's runs, the replicates and the test measurements whole
    /// to the ranks (run i on rank i mod N, each as one process does it), and wait for each other before a stage
    /// reads what another rank wrote; rank 0 decides what is already done and alone writes the study's shared
    /// files. <paramref name="outDir"/> must be on a file system every rank sees. Every rank returns the report
    /// (its timings aside). Null (or a group of one): this process does everything.
    /// </param>
    /// <exception cref="DiffusionAlignException">
    /// The folder holds a study with other settings, or an earlier stage <paramref name="only"/> needs is missing.
    /// </exception>
    public static StudyReport? Run(string baseModelDir, string outDir, StudyConfig config, StudyStage? only,
        Device device, IProgress<StudyProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancel = default, ICommunicator? communicator = null)
    {
        config.Validate();
        var world = communicator ?? SingleProcessCommunicator.Instance;
        bool root = world.Rank == 0;
        var rootLog = root ? log : null;
        var layout = new StudyLayout(outDir);
        if (root)
        {
            Directory.CreateDirectory(outDir);
            CheckSameStudy(layout, config);
        }
        var estimate = StudyEstimate.For(config);
        rootLog?.Invoke("estimate: "
            + string.Join(", ", estimate.Seconds.Select(kv => $"{kv.Key} {Minutes(kv.Value)}"))
            + $"; total {Minutes(estimate.TotalSeconds)} min");
        var timings = root ? StudyTimings.Load(layout) : StudyTimings.Unsaved();
        var shapes = new ShapesWorld();
        using var baseModel = TextToImageModel.Load(baseModelDir, device);
        baseModel.Freeze();

        StudyPairs? loadedPairs = null;
        var pairsResult = Stage(StudyStage.Pairs, () =>
            PairsStage.Run(baseModel, shapes, config, layout, progress, log, cancel, world));
        if (pairsResult is null) return null;
        StudyPairs Pairs() => loadedPairs ??= PairsStage.Load(pairsResult, layout);

        var grid = Stage(StudyStage.Grid, () =>
            GridStage.Run(baseModel, baseModelDir, shapes, config, layout, Pairs(), progress, log, cancel, world));
        if (grid is null) return null;
        var selection = Stage(StudyStage.Select, () =>
            Selection.Run(grid, config.KeepAllCheckpointWeights, layout, rootLog, world));
        if (selection is null) return null;
        var replicates = Stage(StudyStage.Replicates, () =>
            ReplicatesStage.Run(baseModel, baseModelDir, config, layout, Pairs(), selection, progress, log, cancel,
                world));
        if (replicates is null) return null;
        var test = Stage(StudyStage.Test, () =>
            TestStage.Run(baseModel, shapes, config, layout, Pairs(), replicates, progress, log, cancel, world));
        if (test is null) return null;

        var clock = Stopwatch.StartNew();
        try
        {
            return Summarise(baseModelDir, config, layout, estimate, timings, clock, pairsResult, grid, selection,
                replicates, test, rootLog, write: root);
        }
        finally
        {
            timings.Add(StudyStage.Summary, clock.Elapsed.TotalSeconds);
        }

        // A stage runs when asked for, or (running everything) when it has no saved result; otherwise its saved
        // result is read. Null: a later stage than the one asked for, which does not run. Rank 0 looks for the saved
        // result and reads it for every rank, and alone saves a new one, which every rank waits for.
        T? Stage<T>(StudyStage stage, Func<T> run) where T : class
        {
            if (only is StudyStage asked && stage > asked) return null;
            string path = layout.StageFile(stage);
            if (only != stage && (only is not null || world.FromRoot(() => File.Exists(path))))
                return StudyJson.Load<T>(path, $"the {stage.Key()} stage has no saved results in {outDir}: run "
                    + $"it first (--stage {stage.Key()}) or run the whole study without --stage", world);
            rootLog?.Invoke($"stage {stage.Key()} (estimate {Minutes(estimate.Seconds[stage.Key()])} min)");
            var clock = Stopwatch.StartNew();
            T result;
            try
            {
                result = run();
            }
            finally
            {
                timings.Add(stage, clock.Elapsed.TotalSeconds);
            }
            if (root) StudyJson.Save(path, result);
            world.Barrier();
            rootLog?.Invoke($"stage {stage.Key()} done in {clock.Elapsed.TotalSeconds:F0} s → {path}");
            return result;
        }
    }

    private static StudyReport Summarise(string baseModelDir, StudyConfig config, StudyLayout layout,
        StudyEstimate estimate, StudyTimings timings, Stopwatch clock, PairsStageResult pairs, GridStageResult grid,
        SelectionResult selection, ReplicatesStageResult replicates, TestStageResult test, Action<string>? log,
        bool write)
    {
        var points = CorrelationAnalysis.Points(grid.Runs);
        var plots = new List<string>();
        if (points.Count > 0)
        {
            if (write) StudyPlots.SaveRanking(layout.Plot(StudyPlots.RankingFile), points);
            plots.Add(StudyPlots.RankingFile);
        }
        if (write) StudyPlots.SaveGrid(layout.Plot(StudyPlots.GridFile), grid.Runs);
        plots.Add(StudyPlots.GridFile);
        if (test.Rows.Count > 0)
        {
            if (write) StudyPlots.SaveTest(layout.Plot(StudyPlots.TestFile), test.Rows);
            plots.Add(StudyPlots.TestFile);
        }
        var actual = new Dictionary<string, double>(timings.Seconds)
        {
            [StudyStage.Summary.Key()] = timings.Seconds.GetValueOrDefault(StudyStage.Summary.Key())
                + clock.Elapsed.TotalSeconds,
        };
        var report = new StudyReport
        {
            Generated = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            BaseModel = baseModelDir,
            Config = config,
            Budget = new StudyBudget(new Dictionary<string, double>(estimate.Seconds), actual, estimate.TotalSeconds,
                actual.Values.Sum(), [.. StudyCuts.Describe(config)], config.Costs),
            Regimes = [.. config.Regimes.Select(r => new RegimeInfo(r, r.Describe(), Counts(r, config.TrainPairs),
                Counts(r, config.ValidationPairs), Counts(r, config.TestPairs)))],
            Pairs = pairs,
            Grid = grid,
            Selection = selection,
            Replicates = replicates,
            Test = test,
            Correlations = CorrelationAnalysis.Compute(points),
            Verdicts = StudyVerdicts.For(test),
            Plots = plots,
        };
        if (!write) return report;
        StudyJson.Save(Path.Combine(layout.Root, StudyLayout.StudyJson), report);
        IO.AtomicFile.Write(Path.Combine(layout.Root, StudyLayout.StudyMarkdown),
            stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(StudyMarkdown.Write(report))));
        HtmlReport.Write([layout.Root], Path.Combine(layout.Root, StudyLayout.ReportHtml));
        log?.Invoke($"wrote {StudyLayout.StudyJson}, {StudyLayout.StudyMarkdown}, {StudyLayout.ReportHtml} and "
            + $"{string.Join(", ", plots)} in {layout.Root}");
        return report;
    }

    private static Dictionary<PairSource, int> Counts(StudyRegime regime, int count) =>
        regime.Composition(count).ToDictionary(c => c.Source, c => c.Count);

    /// <summary>
    /// The first run records its settings; a later one must use the same (the unit costs excepted), or its runs
    /// would mix with the saved ones.
    /// </summary>
    private static void CheckSameStudy(StudyLayout layout, StudyConfig config)
    {
        var current = Identity(config);
        if (!File.Exists(layout.ConfigFile))
        {
            StudyJson.Save(layout.ConfigFile, config);
            return;
        }
        JsonObject? saved;
        try
        {
            saved = JsonNode.Parse(File.ReadAllText(layout.ConfigFile)) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{layout.ConfigFile} is not valid JSON: {e.Message}", e);
        }
        if (saved is null) throw new DiffusionAlignException($"{layout.ConfigFile} is not a study configuration");
        saved.Remove("costs");
        var differences = current.Select(kv => kv.Key)
            .Where(k => !JsonNode.DeepEquals(current[k], saved[k]))
            .ToList();
        if (differences.Count > 0)
            throw new DiffusionAlignException(
                $"{layout.Root} holds a study made with other settings ({string.Join(", ", differences)} differ); "
                + "continue it with the same flags (--quick or not, --seed) or start a new one in another --out");
    }

    private static JsonObject Identity(StudyConfig config)
    {
        var json = JsonSerializer.SerializeToNode(config, StudyJson.Options)!.AsObject();
        json.Remove("costs");
        return json;
    }

    private static string Minutes(double seconds) => (seconds / 60).ToString("F1", CultureInfo.InvariantCulture);
}
