using DiffusionAlign.IO;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reference;

/// <summary>The fixture's diffusers folder loaded whole and sampled as diffusers' pipeline samples it.</summary>
public sealed class DiffusersPipelineFixtureTests
{
    private const string Fixture = "diffusers-reference";

    private static TextToImageModel LoadTinySd() =>
        TextToImageModel.Load(Path.Combine(ReferenceFixtures.Find(Fixture)!, "tiny-sd"));

    [FixtureFact(Fixture)]
    public void LoadsTheFolderAndReproducesThePipelinesLatentsAndImage()
    {
        using var scope = NewDisposeScope();
        string folder = ReferenceFixtures.Find(Fixture)!;
        var cases = SafetensorsFile.Read(Path.Combine(folder, "cases.safetensors"));
        using var model = LoadTinySd();
        Assert.True(model.IsLatent);
        Assert.Equal(16, model.Config.ImageSize);
        Assert.Equal([4L, 8, 8], model.SampleShape());

        var latents = TextToImageSampler.Denoise(model, ["a photo of an astronaut riding a horse on mars"],
            cases["pipe.latents_in"], new SamplingOptions(Steps: 10, GuidanceScale: 3.0));
        var expectedLatents = cases["pipe.latents_out"];
        double scale = expectedLatents.abs().max().item<float>();
        Assert.True((latents - expectedLatents).abs().max().item<float>() <= 1e-4 * scale);

        // diffusers' output_type='np': NHWC in [0, 1].
        var image = (model.ToImages(expectedLatents) / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1);
        Assert.True((image - cases["pipe.image"]).abs().max().item<float>() <= 1e-4);
    }

    [FixtureFact(Fixture)]
    public void GeneratesImagesAtTheNativeOrAskedSize()
    {
        using var scope = NewDisposeScope();
        using var model = LoadTinySd();
        var options = new SamplingOptions(Steps: 2, GuidanceScale: 3.0);
        Tensor Generate(IReadOnlyList<string> prompts, int? height = null, int? width = null) =>
            TextToImageSampler.Generate(model, prompts,
                TextToImageSampler.InitialNoise(prompts.Count, model.SampleShape(height, width), 1), options, 1);
        var images = Generate(["a photo of a cat", "a dog"]);
        Assert.Equal([2L, 3, 16, 16], images.shape);
        Assert.Equal([1L, 3, 24, 32], Generate(["a cat"], 24, 32).shape);
        // Sample i depends on (seed, i) only.
        var alone = Generate(["a photo of a cat"]);
        Assert.True(alone.allclose(images[..1], rtol: 1e-5, atol: 1e-5));
        Assert.Throws<DiffusionAlignException>(() => model.SampleShape(21, 16));
        // A negative prompt changes what guidance steers away from.
        var negative = TextToImageSampler.Generate(model, ["a photo of a cat"],
            TextToImageSampler.InitialNoise(1, model.SampleShape(), 1), options, 1, negativePrompts: ["blurry"]);
        Assert.False(negative.allclose(alone, rtol: 1e-5, atol: 1e-5));
    }
}
