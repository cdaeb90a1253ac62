using DiffusionAlign.IO;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reference;

/// <summary>The fixture's diffusers folder loaded whole and sampled as diffusers' pipeline samples it.</summary>
public sealed class StableDiffusionPipelineFixtureTests
{
    private const string Fixture = "diffusers-reference";

    [FixtureFact(Fixture)]
    public void LoadsTheFolderAndReproducesThePipelinesLatentsAndImage()
    {
        using var scope = NewDisposeScope();
        string folder = ReferenceFixtures.Find(Fixture)!;
        var cases = SafetensorsFile.Read(Path.Combine(folder, "cases.safetensors"));
        using var pipeline = StableDiffusionPipeline.Load(Path.Combine(folder, "tiny-sd"));
        Assert.Equal(16, pipeline.DefaultImageSize);

        var latents = pipeline.Denoise(cases["pipe.latents_in"], ["a photo of an astronaut riding a horse on mars"],
            new SamplingOptions(Steps: 10, GuidanceScale: 3.0));
        var expectedLatents = cases["pipe.latents_out"];
        double scale = expectedLatents.abs().max().item<float>();
        Assert.True((latents - expectedLatents).abs().max().item<float>() <= 1e-4 * scale);

        // diffusers' output_type='np': NHWC in [0, 1].
        var image = (pipeline.Decode(expectedLatents) / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1);
        Assert.True((image - cases["pipe.image"]).abs().max().item<float>() <= 1e-4);
    }

    [FixtureFact(Fixture)]
    public void GeneratesImagesAtTheNativeOrAskedSize()
    {
        using var scope = NewDisposeScope();
        using var pipeline = StableDiffusionPipeline.Load(
            Path.Combine(ReferenceFixtures.Find(Fixture)!, "tiny-sd"));
        var options = new SamplingOptions(Steps: 2, GuidanceScale: 3.0);
        var images = pipeline.Generate(["a photo of a cat", "a dog"], options, seed: 1);
        Assert.Equal([2L, 3, 16, 16], images.shape);
        Assert.Equal([1L, 3, 24, 32], pipeline.Generate(["a cat"], options, seed: 1, height: 24, width: 32).shape);
        // Sample i depends on (seed, i) only.
        var alone = pipeline.Generate(["a photo of a cat"], options, seed: 1);
        Assert.True(alone.allclose(images[..1], rtol: 1e-5, atol: 1e-5));
        Assert.Throws<DiffusionAlignException>(() => pipeline.Generate(["a cat"], options, height: 21, width: 16));
    }
}
