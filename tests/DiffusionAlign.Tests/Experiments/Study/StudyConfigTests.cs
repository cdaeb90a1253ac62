using DiffusionAlign.Data.Generation;
using DiffusionAlign.Experiments.Study;

namespace DiffusionAlign.Tests.Experiments.Study;

/// <summary>
/// The study's sizes: validation, checkpoint steps, regimes, the cuts it reports and its time estimate.
/// </summary>
public sealed class StudyConfigTests
{
    [Fact]
    public void Default_and_quick_are_valid_and_bad_sizes_are_named()
    {
        StudyConfig.Default.Validate();
        StudyConfig.Quick.Validate();
        var error = Assert.Throws<InvalidSettingException>(() => (StudyConfig.Default with { TestPrompts = 1 })
            .Validate());
        Assert.Contains(nameof(StudyConfig.TestPrompts), error.Message);
        Assert.Throws<InvalidSettingException>(() => (StudyConfig.Default with
        {
            Regimes = [StudyRegime.Mix, StudyRegime.Mix],
        }).Validate());
        Assert.Throws<InvalidSettingException>(() => (StudyConfig.Default with
        {
            Grid = new StudyGrid { DpoBetas = [] },
        }).Validate());
    }

    [Fact]
    public void Settings_read_back_from_the_saved_form_and_a_partial_file_keeps_the_defaults()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "study-config.json");
        var tiny = StudyTestModel.Tiny with { Regimes = [StudyRegime.Mix], Seed = 4 };
        StudyJson.Save(path, tiny);
        string Json(StudyConfig c) => System.Text.Json.JsonSerializer.Serialize(c, StudyJson.Options);
        Assert.Equal(Json(tiny), Json(StudyConfig.Read(path)));

        File.WriteAllText(path, """{ "train_pairs": 64, "regimes": ["off-policy"] }""");
        var partial = StudyConfig.Read(path);
        Assert.Equal(Json(StudyConfig.Default with { TrainPairs = 64, Regimes = [StudyRegime.OffPolicy] }),
            Json(partial));

        File.WriteAllText(path, "{ not json");
        Assert.Contains("is not study settings", Assert.Throws<DiffusionAlignException>(
            () => StudyConfig.Read(path)).Message);
    }

    [Fact]
    public void Checkpoints_are_evenly_spaced_and_end_at_the_last_step()
    {
        Assert.Equal([35, 70, 105], new StudyTraining { Steps = 105, Checkpoints = 3 }.CheckpointSteps());
        Assert.Equal([2, 4], new StudyTraining { Steps = 4, Checkpoints = 2 }.CheckpointSteps());
        Assert.Equal([7], new StudyTraining { Steps = 7, Checkpoints = 1 }.CheckpointSteps());
    }

    [Fact]
    public void A_mix_is_half_of_each_source_and_the_pure_regimes_one()
    {
        Assert.Equal([(PairSource.Model, 5)], StudyRegime.OnPolicy.Composition(5));
        Assert.Equal([(PairSource.Renderer, 5)], StudyRegime.OffPolicy.Composition(5));
        Assert.Equal([(PairSource.Model, 3), (PairSource.Renderer, 2)], StudyRegime.Mix.Composition(5));
        Assert.Equal(StudyRegime.Mix, StudyRegimes.ParseRegime("mix"));
        Assert.Throws<DiffusionAlignException>(() => StudyRegimes.ParseRegime("online"));
    }

    [Fact]
    public void Every_grid_family_and_point_has_its_own_run_folder()
    {
        var points = StudyGrid.Full.Points();
        Assert.Equal(points.Count, points.Select(p => p.Name).Distinct().Count());
        Assert.Equal(StudyFamilies.All, points.Select(p => p.Family).Distinct());
        Assert.Equal(3, points.Count(p => p.Family == StudyFamily.Dpo));
    }

    [Fact]
    public void The_cuts_name_what_the_default_drops_from_the_design_and_the_full_grid_drops_nothing()
    {
        var cuts = StudyCuts.Describe(StudyConfig.Default);
        Assert.Contains(cuts, c => c.StartsWith("Diffusion-DPO β grid", StringComparison.Ordinal)
            && c.Contains("({1000} dropped)", StringComparison.Ordinal));
        var full = StudyCuts.Describe(StudyConfig.Default with { Grid = StudyGrid.Full });
        Assert.DoesNotContain(full, c => c.Contains(" grid ", StringComparison.Ordinal));
        Assert.Contains(StudyCuts.Describe(StudyConfig.Default with { Replicates = 2 }),
            c => c.Contains("at least 3", StringComparison.Ordinal));
    }

    [Fact]
    public void The_estimate_grows_with_the_work_and_prices_every_stage()
    {
        var estimate = StudyEstimate.For(StudyConfig.Default);
        Assert.Equal(StudyStages.All.Select(s => s.Key()).Order(), estimate.Seconds.Keys.Order());
        Assert.All(estimate.Seconds.Values, s => Assert.True(s > 0));
        var more = StudyEstimate.For(StudyConfig.Default with { Replicates = 5 });
        Assert.True(more.Seconds["replicates"] > estimate.Seconds["replicates"]);
        Assert.Equal(estimate.Seconds["grid"], more.Seconds["grid"]);
        Assert.True(StudyEstimate.For(StudyConfig.Quick).TotalSeconds < estimate.TotalSeconds / 10);
    }

    [Fact]
    public void Stage_names_parse_and_an_unknown_one_lists_them()
    {
        Assert.Equal(StudyStage.Replicates, StudyStages.Parse("replicates"));
        var error = Assert.Throws<DiffusionAlignException>(() => StudyStages.Parse("train"));
        Assert.Contains("pairs, grid, select, replicates, test, summary", error.Message);
    }
}
