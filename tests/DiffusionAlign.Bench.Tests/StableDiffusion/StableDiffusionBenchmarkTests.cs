using System.Text.Json;
using DiffusionAlign.Bench.StableDiffusion;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench.Tests.StableDiffusion;

public sealed class StableDiffusionBenchmarkTests
{
    // SD1.5's layout shrunk: a latent UNet of two levels, a VAE of two (16-pixel images, 8×8 latents), a
    // one-layer text encoder over the hashing tokenizer's 49,408 ids and 77 positions.
    private static StableDiffusionBenchConfig Tiny()
    {
        HashingTokenizer.Register();
        var model = new ModelConfig
        {
            Format = ModelConfig.DiffusersFormat,
            ImageSize = 16,
            Unet = UNet2DConditionConfig.Tiny with
            {
                SampleSize = 8,
                InChannels = 4,
                OutChannels = 4,
                BlockOutChannels = [8, 16],
                DownBlockTypes = [UNet2DConditionConfig.CrossAttnDownBlock, UNet2DConditionConfig.PlainDownBlock],
                UpBlockTypes = [UNet2DConditionConfig.PlainUpBlock, UNet2DConditionConfig.CrossAttnUpBlock],
                NormNumGroups = 4,
                CrossAttentionDim = 16,
                AttentionHeadDim = 2,
            },
            Vae = new AutoencoderKLConfig
            {
                DownBlockTypes = [AutoencoderKLConfig.DownEncoderBlock, AutoencoderKLConfig.DownEncoderBlock],
                UpBlockTypes = [AutoencoderKLConfig.UpDecoderBlock, AutoencoderKLConfig.UpDecoderBlock],
                BlockOutChannels = [8, 16],
                NormNumGroups = 4,
            },
            TextEncoder = ClipTextConfig.Tiny with
            {
                VocabSize = 49408,
                MaxPositionEmbeddings = 77,
                HiddenSize = 16,
                IntermediateSize = 32,
                NumHiddenLayers = 1,
                NumAttentionHeads = 2,
            },
            Scheduler = new NoiseScheduleConfig(),
            Tokenizer = HashingTokenizer.RegistryName,
        };
        return new StableDiffusionBenchConfig
        {
            Model = model, TimedSteps = 2, SamplingSteps = 2, ProbeChannels = 8, ProbeSide = 8,
        };
    }

    [Fact]
    public void EveryConfigurationOfATinyModelProducesAllItsFigures()
    {
        var config = Tiny();
        var results = StableDiffusionBenchmark.Run(config, (c, _) => StableDiffusionCaseRun.Run(config, c),
            "in the test's process");

        Assert.Equal(StableDiffusionCase.All.Select(c => c.Name), results.Cases.Select(r => r.Case));
        Assert.Equal(8, results.LatentSize);
        Assert.True(results.UnetGflopPerForward > 0);
        Assert.True(results.Bf16Probe!.Slowdown > 0);
        foreach (var r in results.Cases)
        {
            Assert.Null(r.Error);
            Assert.True(r.SetupSeconds > 0 && r.UnetGflopsPerSecond > 0, r.Case);
            if (OperatingSystem.IsLinux())
                Assert.True(r.PeakRssMiB >= r.ReadyRssMiB && r.SetupPeakRssMiB > 0 && r.BaselineRssMiB > 0, r.Case);
            if (r.Work == "alignment_step")
            {
                Assert.Equal(2, r.TimedSteps);
                Assert.Equal(r.StepSecondsEach!.Order().ToList()[0] / 2 + r.StepSecondsEach!.Max() / 2, r.StepSeconds);
                Assert.All(new[] { r.InputsSeconds, r.ReferenceForwardSeconds, r.PolicyForwardSeconds,
                    r.BackwardSeconds, r.OptimizerSeconds }, phase => Assert.True(phase > 0));
                Assert.True(r.UnetSeconds < r.StepSeconds + 1e-9);
                int forwards = r.GradientCheckpointing == true ? 4 : 3;
                Assert.Equal(forwards * 2 * results.UnetGflopPerForward, r.UnetGflop!.Value, 9);
                Assert.True(r.Estimate!.TotalMiB > r.Estimate.WeightsMiB);
            }
            else
            {
                Assert.True(r.DenoiseSeconds > 0 && r.VaeDecodeSeconds > 0, r.Case);
                Assert.Equal(2 * 2 * results.UnetGflopPerForward, r.UnetGflop!.Value, 9);
                Assert.Null(r.Estimate);
            }
        }
        // bf16 halves the frozen weights the estimate counts.
        var fp32 = results.Cases.Single(r => r.Case == "align_fp32").Estimate!;
        var bf16 = results.Cases.Single(r => r.Case == "align_bf16").Estimate!;
        Assert.Equal(fp32.WeightsMiB, 2 * bf16.WeightsMiB, 9);

        var json = JsonSerializer.SerializeToNode(results)!;
        Assert.NotNull(json["cases"]![0]!["peak_rss_mib"]);
        Assert.NotNull(json["cases"]![0]!["estimate"]!["total_mib"]);
        Assert.NotNull(json["bf16_probe"]!["bf16_slowdown"]);
    }

    [Fact]
    public void ABf16ConfigurationIsSkippedWithItsReasonWhenItsFloat32TimeScaledByTheProbeDoesNotFit()
    {
        var config = new StableDiffusionBenchConfig { WarmupSteps = 1 };
        var probe = new PrecisionProbe("conv3x3", Fp32Seconds: 0.05, Bf16Seconds: 1.0);
        var done = new List<StableDiffusionCaseResult>
        {
            StableDiffusionCaseResult.For(StableDiffusionCase.Named("align_fp32")) with
            {
                SetupSeconds = 20, StepSeconds = 60,
            },
        };
        var bf16 = StableDiffusionCase.Named("align_bf16");

        // 20 s setup + 20 × (warm-up + one timed step of 60 s) = 2420 s.
        string? reason = StableDiffusionBenchmark.WhyNotRun(bf16, done, probe, secondsLeft: 2400, config);
        Assert.NotNull(reason);
        Assert.Contains("bfloat16 runs 20× slower than float32", reason);
        Assert.Contains("about 40 min", reason);
        Assert.Null(StableDiffusionBenchmark.WhyNotRun(bf16, done, probe, secondsLeft: 2440, config));
        // Without a float32 time to go by it runs; so does any float32 configuration with time left.
        Assert.Null(StableDiffusionBenchmark.WhyNotRun(StableDiffusionCase.Named("align_bf16_checkpointing"), done,
            probe, 100, config));
        Assert.Null(StableDiffusionBenchmark.WhyNotRun(StableDiffusionCase.Named("sample_fp32"), done, probe, 100,
            config));
        Assert.Contains("limit was reached", StableDiffusionBenchmark.WhyNotRun(
            StableDiffusionCase.Named("sample_fp32"), done, probe, StableDiffusionBenchmark.MinimumSecondsPerCase - 1,
            config));
    }

    [Fact]
    public void TheSectionsModelIsStableDiffusion15AndItsFlopsAreAtTheLatentsSide()
    {
        var model = StableDiffusionBenchConfig.StableDiffusion15(256);
        using var unet = new UNet2DConditionModel(model.Unet, new Device(DeviceType.META));

        Assert.Equal(859_520_964, unet.parameters().Sum(p => p.numel()));
        Assert.Equal(64, model.Unet.SampleSize); // SD1.5's own: the analyses must be told the side
        Assert.Equal(8, model.Vae!.DownscaleFactor);
        double at32 = FlopCounter.UNetForward(unet, 77, sampleSize: 32);
        Assert.True(at32 < FlopCounter.UNetForward(unet, 77) / 3.5);
    }

    [Fact]
    public void TheHashingTokenizerHasClipsLayout()
    {
        var tokenizer = new HashingTokenizer();
        int[] ids = tokenizer.Encode("a Red circle red");

        Assert.Equal(77, ids.Length);
        Assert.Equal(49406, ids[0]);
        Assert.Equal(ids[2], ids[4]); // words match case-insensitively
        Assert.All(ids[1..5], id => Assert.InRange(id, 0, 49405));
        Assert.All(ids[5..], id => Assert.Equal(49407, id)); // the end marker, then padding with it
        Assert.Equal([49406, 49407], tokenizer.Encode("")[..2]);
    }
}
