using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reference;

/// <summary>
/// The miniature Stable Diffusion folder of the reference fixture and what diffusers 0.21.4 /
/// transformers 4.33 computed on it: the same configs and weights through this project's modules,
/// schedulers and tokenizer must give the same numbers (within 1e-4 of each tensor's largest value,
/// the fixture's stated tolerance; ids and timesteps exactly).
/// </summary>
public sealed class DiffusersFixtureTests
{
    private const string Fixture = "diffusers-reference";

    private static string Folder => ReferenceFixtures.Find(Fixture)!;

    private static string Pipeline(string part) => Path.Combine(Folder, "tiny-sd", part);

    private static Dictionary<string, Tensor> Cases() =>
        SafetensorsFile.Read(Path.Combine(Folder, "cases.safetensors"));

    private static void AssertClose(Tensor expected, Tensor actual, string what, double relative = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double worst = (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max()
            .item<double>();
        Assert.True(worst <= relative * Math.Max(scale, 1e-12),
            $"{what}: max |difference| {worst:E2} against max |value| {scale:E2}");
    }

    private static UNet2DConditionModel LoadUnet()
    {
        var unet = new UNet2DConditionModel(UNet2DConditionConfig.Load(Pipeline("unet/config.json")));
        unet.LoadCheckpoint(SafetensorsFile.Read(Pipeline("unet/diffusion_pytorch_model.safetensors")));
        unet.eval();
        return unet;
    }

    private static ClipTextModel LoadTextEncoder()
    {
        var encoder = new ClipTextModel(ClipTextConfig.Load(Pipeline("text_encoder/config.json")));
        encoder.LoadCheckpoint(SafetensorsFile.Read(Pipeline("text_encoder/model.safetensors")));
        encoder.eval();
        return encoder;
    }

    [FixtureFact(Fixture)]
    public void UNetReproducesDiffusers()
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        using var unet = LoadUnet();
        using var noGrad = no_grad();
        var output = unet.forward(cases["unet.sample"], cases["unet.timesteps"], cases["unet.encoder_hidden_states"]);
        AssertClose(cases["unet.out"], output, "unet.out");
    }

    [FixtureFact(Fixture)]
    public void VaeReproducesDiffusers()
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        using var vae = new AutoencoderKL(AutoencoderKLConfig.Load(Pipeline("vae/config.json")));
        vae.LoadCheckpoint(SafetensorsFile.Read(Pipeline("vae/diffusion_pytorch_model.safetensors")));
        vae.eval();
        Assert.Equal((0.18215, 2), (vae.Config.ScalingFactor, vae.Config.DownscaleFactor));
        using var noGrad = no_grad();
        var (mean, logVar) = vae.Encode(cases["vae.encode.image"]);
        AssertClose(cases["vae.encode.mean"], mean, "vae.encode.mean");
        AssertClose(cases["vae.encode.logvar"], logVar, "vae.encode.logvar");
        AssertClose(cases["vae.decode.out"], vae.Decode(cases["vae.decode.latent"]), "vae.decode.out");
    }

    [FixtureFact(Fixture)]
    public void TextEncoderAndTokenizerReproduceTransformers()
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        var tokenizer = ClipTokenizer.FromFolder(Pipeline("tokenizer"));
        string[] prompts = ["a photo of an astronaut riding a horse on mars", "",
            "A watercolor painting of a Lighthouse, at dusk!"];
        var ids = cases["text.input_ids"];
        for (int i = 0; i < prompts.Length; i++)
            Assert.Equal(ids[i].data<long>().ToArray(), tokenizer.Encode(prompts[i]).Select(x => (long)x).ToArray());

        using var encoder = LoadTextEncoder();
        using var noGrad = no_grad();
        AssertClose(cases["text.last_hidden_state"], encoder.forward(ids), "text.last_hidden_state");
    }

    [FixtureFact(Fixture)]
    public void ScheduleAndDdimReproduceDiffusers()
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        var config = NoiseScheduleConfig.Load(Pipeline("scheduler/scheduler_config.json"));
        using var schedule = new NoiseSchedule(config);
        var alphas = cases["sched.alphas_cumprod"].data<float>().ToArray();
        Assert.Equal(alphas.Length, schedule.AlphasCumprod.Length);
        for (int t = 0; t < alphas.Length; t++) Assert.Equal(alphas[t], schedule.AlphasCumprod[t], 1e-6);

        foreach (var (spacing, key) in new[]
                 {
                     (TimestepSpacing.Leading, "leading"), (TimestepSpacing.Trailing, "trailing"),
                     (TimestepSpacing.Linspace, "linspace"),
                 })
        {
            using var spaced = new NoiseSchedule(config with { TimestepSpacing = spacing });
            var expected = cases[$"ddim.timesteps_{key}"].data<long>().Select(t => (int)t).ToArray();
            Assert.Equal(expected, new DdimSampler(spaced).SetTimesteps(10));
        }

        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(10);
        foreach (string step in new[] { "ddim.step0", "ddim.step1" })
        {
            int t = (int)cases[$"{step}.timestep"].data<long>()[0];
            var output = cases[$"{step}.model_output"];
            var sample = cases[$"{step}.sample"];
            AssertClose(cases[$"{step}.prev_sample"], sampler.Step(output, t, sample), $"{step}.prev_sample");
            var tensorT = tensor(new long[] { t });
            AssertClose(cases[$"{step}.pred_original_sample"], schedule.PredictOriginal(output, sample, tensorT),
                $"{step}.pred_original_sample");
        }

        var x0 = cases["ddpm.add_noise.original_samples"];
        var noised = schedule.AddNoise(x0, cases["ddpm.add_noise.noise"], cases["ddpm.add_noise.timesteps"]);
        AssertClose(cases["ddpm.add_noise.out"], noised, "ddpm.add_noise.out");
    }

    [FixtureFact(Fixture)]
    public void VPredictionDdimStepReproducesDiffusers()
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        var config = NoiseScheduleConfig.Load(Pipeline("scheduler/scheduler_config.json"))
            with { PredictionType = PredictionType.VPrediction };
        using var schedule = new NoiseSchedule(config);
        var sampler = new DdimSampler(schedule);
        sampler.SetTimesteps(10);
        int t = (int)cases["ddim_v.step.timestep"].data<long>()[0];
        var output = cases["ddim_v.step.model_output"];
        var sample = cases["ddim_v.step.sample"];
        AssertClose(cases["ddim_v.step.prev_sample"], sampler.Step(output, t, sample), "ddim_v.step.prev_sample");
        AssertClose(cases["ddim_v.step.pred_original_sample"],
            schedule.PredictOriginal(output, sample, tensor(new long[] { t })), "ddim_v.step.pred_original_sample");
    }
}
