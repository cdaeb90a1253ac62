using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionAlign.Data.Generation;
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
    /// <param name="cancel">Passed to every trainer, generator and evaluator: a stopped study keeps its work.</param>
    /// <exception cref="DiffusionAlignException">
    /// The folder holds a study with other settings, or an earlier stage <paramref name="only"/> needs is missing.
    /// </exception>
    public static StudyReport? Run(string baseModelDir, string outDir, StudyConfig config, StudyStage? only,
        Device device, IProgress<StudyProgress>? progress = null, Action<string>? log = null,
        CancellationToken cancel = default)
    {
        config.Validate();
        var layout = new StudyLayout(outDir);
        Directory.CreateDirectory(outDir);
        CheckSameStudy(layout, config);
        var estimate = StudyEstimate.For(config);
        log?.Invoke("estimate: " + string.Join(", ", estimate.Seconds.Select(kv => $"{kv.Key} {Minutes(kv.Value)}"))
            + $"; total {Minutes(estimate.TotalSeconds)} min");
        var timings = StudyTimings.Load(layout);
        var world = new ShapesWorld();
        using var baseModel = TextToImageModel.Load(baseModelDir, device);
        baseModel.Freeze();

        StudyPairs? loadedPairs = null;
        var pairsResult = Stage(StudyStage.Pairs, () =>
            PairsStage.Run(baseModel, world, config, layout, progress, log, cancel));
        if (pairsResult is null) return null;
        StudyPairs Pairs() => loadedPairs ??= PairsStage.Load(pairsResult, layout);

        var grid = Stage(StudyStage.Grid, () =>
            GridStage.Run(baseModel, baseModelDir, world, config, layout, Pairs(), progress, log, cancel));
        if (grid is null) return null;
        var selection = Stage(StudyStage.Select, () =>
            Selection.Run(grid, config.KeepAllCheckpointWeights, layout, log));
        if (selection is null) return null;
        var replicates = Stage(StudyStage.Replicates, () =>
            ReplicatesStage.Run(baseModel, baseModelDir, config, layout, Pairs(), selection, progress, log, cancel));
        if (replicates is null) return null;
        var test = Stage(StudyStage.Test, () =>
            TestStage.Run(baseModel, world, config, layout, Pairs(), replicates, progress, log, cancel));
        if (test is null) return null;

        var clock = Stopwatch.StartNew();
        try
        {
            return Summarise(baseModelDir, config, layout, estimate, timings, clock, pairsResult, grid, selection,
                replicates, test, log);
        }
        finally
        {
            timings.Add(StudyStage.Summary, clock.Elapsed.TotalSeconds);
        }

        // A stage runs when asked for, or (running everything) when it has no saved result; otherwise its saved
        // result is read. Null: a later stage than the one asked for, which does not run.
        T? Stage<T>(StudyStage stage, Func<T> run) where T : class
        {
            if (only is StudyStage asked && stage > asked) return null;
            string path = layout.StageFile(stage);
            if (only != stage && (only is not null || File.Exists(path)))
                return StudyJson.Load<T>(path, $"the {stage.Key()} stage has no saved results in {outDir}: run "
                    + $"it first (--stage {stage.Key()}) or run the whole study without --stage");
            log?.Invoke($"stage {stage.Key()} (estimate {Minutes(estimate.Seconds[stage.Key()])} min)");
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
            StudyJson.Save(path, result);
            log?.Invoke($"stage {stage.Key()} done in {clock.Elapsed.TotalSeconds:F0} s → {path}");
            return result;
        }
    }

    private static StudyReport Summarise(string baseModelDir, StudyConfig config, StudyLayout layout,
        StudyEstimate estimate, StudyTimings timings, Stopwatch clock, PairsStageResult pairs, GridStageResult grid,
        SelectionResult selection, ReplicatesStageResult replicates, TestStageResult test, Action<string>? log)
    {
        var points = CorrelationAnalysis.Points(grid.Runs);
        var plots = new List<string>();
        if (points.Count > 0)
        {
            StudyPlots.SaveRanking(layout.Plot(StudyPlots.RankingFile), points);
            plots.Add(StudyPlots.RankingFile);
        }
        StudyPlots.SaveGrid(layout.Plot(StudyPlots.GridFile), grid.Runs);
        plots.Add(StudyPlots.GridFile);
        if (test.Rows.Count > 0)
        {
            StudyPlots.SaveTest(layout.Plot(StudyPlots.TestFile), test.Rows);
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
