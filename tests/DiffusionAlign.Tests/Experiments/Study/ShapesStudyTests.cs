using System.Text.Json.Nodes;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Experiments.Study;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Experiments.Study;

/// <summary>
/// A whole study on a 32-pixel micro model and the smallest sizes every stage accepts: one uninterrupted run (the
/// fixture) is read by each test; a study stopped mid-grid and continued must end with the same test tables.
/// </summary>
public sealed class StudyFixture : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    public StudyFixture()
    {
        BaseModel = StudyTestModel.Save(Path.Combine(_dir.Path, "base"));
        Out = Path.Combine(_dir.Path, "study");
        Report = ShapesStudy.Run(BaseModel, Out, Config, only: null, CPU)!;
    }

    /// <summary>The tiny settings on two regimes: a pure one and the mix.</summary>
    public static StudyConfig Config => StudyTestModel.Tiny with { Regimes = [StudyRegime.OnPolicy, StudyRegime.Mix] };

    public string BaseModel { get; }

    public string Out { get; }

    public StudyReport Report { get; }

    public string NewFolder(string name) => Path.Combine(_dir.Path, name);

    public void Dispose() => _dir.Dispose();
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class ShapesStudyTests(StudyFixture study) : IClassFixture<StudyFixture>
{
    private static readonly int Families = StudyFamilies.All.Count;

    [Fact]
    public void Every_stage_writes_its_results_and_the_summary_files()
    {
        foreach (var stage in StudyStages.All.Where(s => s != StudyStage.Summary))
            Assert.True(File.Exists(Path.Combine(study.Out, "stages", stage.Key() + ".json")), stage.Key());
        foreach (var file in new[] { StudyLayout.StudyJson, StudyLayout.StudyMarkdown, StudyLayout.ReportHtml })
            Assert.True(new FileInfo(Path.Combine(study.Out, file)).Length > 0, file);
        Assert.NotEmpty(study.Report.Plots);
        foreach (var plot in study.Report.Plots)
            Assert.True(new FileInfo(Path.Combine(study.Out, plot)).Length > 1000, plot);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(study.Out, StudyLayout.StudyJson)))!;
        foreach (var key in new[] { "config", "budget", "pairs", "grid", "selection", "replicates", "test",
            "correlations", "verdicts" })
            Assert.NotNull(json[key]);
        string markdown = File.ReadAllText(Path.Combine(study.Out, StudyLayout.StudyMarkdown));
        Assert.Contains("Does DSPO beat DPO here?", markdown);
        Assert.Contains("on-policy", markdown);
        // Prose is wrapped for reading; only table rows may run long.
        Assert.All(markdown.Split('\n').Where(l => !l.StartsWith('|')), l => Assert.True(l.Length <= 120, l));
    }

    [Fact]
    public void Every_regime_and_family_is_chosen_on_validation_from_its_own_checkpoints()
    {
        var config = StudyFixture.Config;
        var report = study.Report;
        int points = config.Grid.Points().Count;
        Assert.Equal(config.Regimes.Length * points, report.Grid.Runs.Count);
        var steps = config.Training.CheckpointSteps();
        Assert.All(report.Grid.Runs, run => Assert.Equal(steps, run.Checkpoints.Select(c => c.Step)));
        Assert.Equal(config.Regimes.Length * Families, report.Selection.Chosen.Count);
        foreach (var choice in report.Selection.Chosen)
        {
            var candidates = report.Grid.Runs
                .Where(r => r.Regime == choice.Regime && r.Point.Family == choice.Family)
                .SelectMany(r => r.Checkpoints).ToList();
            Assert.Equal(candidates.Count, choice.Candidates);
            Assert.Equal(candidates.Max(c => c.Validation!.WinRate.Rate), choice.Validation.WinRate.Rate);
        }
    }

    [Fact]
    public void Replicates_use_distinct_seeds_and_every_one_is_judged_on_test()
    {
        var config = StudyFixture.Config;
        var report = study.Report;
        Assert.Equal(config.Regimes.Length * Families * config.Replicates, report.Replicates.Replicates.Count);
        Assert.Equal(config.Regimes.Length * Families, report.Test.Rows.Count);
        foreach (var row in report.Test.Rows)
        {
            Assert.Equal(config.Replicates, row.Seeds.Select(s => s.Seed).Distinct().Count());
            Assert.Equal(config.Replicates, row.PooledWinRate.Seeds);
            Assert.Equal(config.TestPrompts, row.PooledWinRate.Prompts);
            Assert.Equal(config.Replicates * config.TestPrompts * config.TestSeeds, row.PooledWinRate.N);
            Assert.InRange(row.PooledWinRate.Rate, row.PooledWinRate.ClusteredCiLow,
                row.PooledWinRate.ClusteredCiHigh);
        }
        // Each DSPO form against DPO, per regime.
        Assert.Equal(config.Regimes.Length * StudyFamilies.DspoForms.Count, report.Test.HeadToHead.Count);
        Assert.Equal(config.Regimes.Length, report.Verdicts.Count);
    }

    [Fact]
    public void Validation_and_test_samples_come_from_their_own_disjoint_prompt_sets()
    {
        var validation = StudyJson.TryLoad<ModelSamples>(
            new StudyLayout(study.Out).BaseSamples(PromptSet.Validation))!;
        var test = StudyJson.TryLoad<ModelSamples>(new StudyLayout(study.Out).BaseSamples(PromptSet.Test))!;
        Assert.Equal(PromptSet.Validation, validation.PromptSet);
        Assert.Equal(PromptSet.Test, test.PromptSet);
        Assert.NotEqual(validation.EvaluationSeed, test.EvaluationSeed);
        var split = new ShapesWorld().Split;
        Assert.Empty(split.Of(PromptSet.Validation).Intersect(split.Of(PromptSet.Test)));
        Assert.All(study.Report.Pairs.Sets, set => Assert.StartsWith(
            Path.Combine("pairs", set.Source.Key(), set.Split.ToString().ToLowerInvariant()), set.Folder));
    }

    [Fact]
    public void A_study_stopped_mid_grid_continues_to_the_same_test_tables()
    {
        string dir = study.NewFolder("stopped");
        using var stop = new CancellationTokenSource();
        int gridItems = 0;
        var progress = new ImmediateProgress<StudyProgress>(p =>
        {
            // Stop in the second grid run's first training step (two steps a run), after the first run is saved.
            if (p.Stage == "grid" && p.Status.StartsWith("training", StringComparison.Ordinal)
                && ++gridItems == 3)
                stop.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            ShapesStudy.Run(study.BaseModel, dir, StudyFixture.Config, only: null, CPU, progress, cancel: stop.Token);
        });
        Assert.False(File.Exists(Path.Combine(dir, StudyLayout.StudyJson)));
        Assert.True(File.Exists(Path.Combine(dir, "stages", "pairs.json")));

        var resumed = ShapesStudy.Run(study.BaseModel, dir, StudyFixture.Config, only: null, CPU)!;
        Assert.True(resumed.Grid.Reused >= 1, $"{resumed.Grid.Reused} grid runs reused");
        Assert.Equal(Tables(study.Report), Tables(resumed));
    }

    [Fact]
    public void One_stage_reruns_alone_from_the_saved_earlier_stages()
    {
        string dir = study.NewFolder("stage-alone");
        var error = Assert.Throws<DiffusionAlignException>(() => ShapesStudy.Run(study.BaseModel, dir,
            StudyFixture.Config, StudyStage.Replicates, CPU));
        Assert.Contains("--stage pairs", error.Message);

        var summary = ShapesStudy.Run(study.BaseModel, study.Out, StudyFixture.Config, StudyStage.Summary, CPU)!;
        Assert.Equal(Tables(study.Report), Tables(summary));
    }

    [Fact]
    public void A_folder_holding_a_study_with_other_settings_is_refused()
    {
        var error = Assert.Throws<DiffusionAlignException>(() => ShapesStudy.Run(study.BaseModel, study.Out,
            StudyFixture.Config with { Seed = 7 }, only: null, CPU));
        Assert.Contains("other settings", error.Message);
        Assert.Contains("seed", error.Message);
    }

    [Fact]
    public void The_json_summary_holds_each_regimes_answer_and_the_test_table()
    {
        var json = JsonNode.Parse(StudySummary.From(study.Report, study.Out).ToJson())!;
        var config = StudyFixture.Config;
        Assert.Equal(config.Regimes.Length, json["verdicts"]!.AsArray().Count);
        Assert.Equal("on-policy", (string?)json["verdicts"]![0]!["regime"]);
        Assert.Equal(config.Regimes.Length * Families, json["test"]!.AsArray().Count);
        var row = json["test"]![0]!;
        Assert.Equal(config.Replicates, (int)row["seeds"]!);
        Assert.InRange((double)row["win_rate"]!["rate"]!, 0, 1);
        Assert.Contains(StudyLayout.StudyJson, json["files"]!.AsArray().Select(f => (string?)f));
    }

    /// <summary>The test stage's figures, without timings.</summary>
    private static string Tables(StudyReport report) => System.Text.Json.JsonSerializer.Serialize(new
    {
        report.Selection.Chosen,
        Rows = report.Test.Rows,
        report.Test.HeadToHead,
        report.Test.RewardResolution,
        report.Verdicts,
    }, StudyJson.Options);
}
