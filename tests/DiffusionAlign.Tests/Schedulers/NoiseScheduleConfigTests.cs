using DiffusionAlign.Schedulers;

namespace DiffusionAlign.Tests.Schedulers;

public sealed class NoiseScheduleConfigTests
{
    // CompVis/stable-diffusion-v1-4 scheduler/scheduler_config.json (a PNDM config; the DDIM keys are shared).
    private const string Sd14 = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.7.0.dev0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """;

    [Fact]
    public void StableDiffusionConfigParsesToTheDefaults()
    {
        var config = NoiseScheduleConfig.FromJson(Sd14);
        Assert.Equal(new NoiseScheduleConfig(), config);
        Assert.Equal(1000, config.NumTrainTimesteps);
        Assert.Equal(0.00085, config.BetaStart);
        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Equal(TimestepSpacing.Leading, config.TimestepSpacing);
    }

    [Fact]
    public void DiffusersWordsParse()
    {
        var config = NoiseScheduleConfig.FromJson("""
            {"beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction",
             "timestep_spacing": "trailing", "clip_sample": true}
            """);
        Assert.Equal(BetaSchedule.SquaredCosCapV2, config.BetaSchedule);
        Assert.Equal(PredictionType.VPrediction, config.PredictionType);
        Assert.Equal(TimestepSpacing.Trailing, config.TimestepSpacing);
        Assert.True(config.ClipSample);
        Assert.Equal(BetaSchedule.Linear, NoiseScheduleConfig.FromJson("""{"beta_schedule": "linear"}""").BetaSchedule);
        Assert.Equal(TimestepSpacing.Linspace,
            NoiseScheduleConfig.FromJson("""{"timestep_spacing": "linspace"}""").TimestepSpacing);
    }

    [Fact]
    public void JsonRoundTripsWithSnakeCaseKeys()
    {
        var config = new NoiseScheduleConfig
        {
            NumTrainTimesteps = 500, BetaStart = 0.0001, BetaEnd = 0.02, BetaSchedule = BetaSchedule.Linear,
            PredictionType = PredictionType.VPrediction, StepsOffset = 0, SetAlphaToOne = true, ClipSample = true,
            ClipSampleRange = 2.5, TimestepSpacing = TimestepSpacing.Trailing,
        };
        string json = config.ToJson();
        Assert.Contains("\"num_train_timesteps\": 500", json);
        Assert.Contains("\"beta_schedule\": \"linear\"", json);
        Assert.Contains("\"prediction_type\": \"v_prediction\"", json);
        Assert.Contains("\"timestep_spacing\": \"trailing\"", json);
        Assert.Contains("\"set_alpha_to_one\": true", json);
        Assert.Equal(config, NoiseScheduleConfig.FromJson(json));
        Assert.Contains("\"beta_schedule\": \"scaled_linear\"", new NoiseScheduleConfig().ToJson());
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dalign-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "scheduler", "scheduler_config.json");
            var config = new NoiseScheduleConfig { BetaSchedule = BetaSchedule.SquaredCosCapV2 };
            config.Save(path);
            Assert.Equal(config, NoiseScheduleConfig.Load(path));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"beta_schedule": "sigmoid"}""", "beta_schedule")]
    [InlineData("""{"prediction_type": "sample"}""", "prediction_type")]
    [InlineData("""{"timestep_spacing": "middle"}""", "timestep_spacing")]
    [InlineData("""{"num_train_timesteps": "many"}""", "not a valid")]
    [InlineData("""{"num_train_timesteps": 0}""", "num_train_timesteps")]
    [InlineData("""{"beta_end": 1.5}""", "beta_end")]
    [InlineData("not json", "not a valid")]
    public void BadConfigsAreUserErrors(string json, string mentioned)
    {
        var e = Assert.Throws<DiffusionAlignException>(() => NoiseScheduleConfig.FromJson(json));
        Assert.Contains(mentioned, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingFileIsAUserError()
    {
        Assert.Throws<DiffusionAlignException>(() => NoiseScheduleConfig.Load("/nonexistent/scheduler_config.json"));
    }
}
