using DiffusionAlign.Sampling;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Sampling;

public sealed class TextToImageSamplerTests
{
    private static readonly string[] Prompts =
        { "a red circle on a blue background", "a green square on a white background" };

    [Fact]
    public void SameSeedSameImages()
    {
        using var model = TestModels.Micro(seed: 3);
        model.Freeze();
        var options = new SamplingOptions(Steps: 4, GuidanceScale: 3);
        var a = TextToImageSampler.Generate(model, Prompts, TextToImageSampler.InitialNoise(2, 16, seed: 9), options);
        var b = TextToImageSampler.Generate(model, Prompts, TextToImageSampler.InitialNoise(2, 16, seed: 9), options);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        Assert.Equal(new long[] { 2, 3, 16, 16 }, a.shape);
        Assert.True(a.max().item<float>() <= 1 && a.min().item<float>() >= -1);
    }

    [Fact]
    public void InitialNoiseDependsOnIndexNotOnBatching()
    {
        var all = TextToImageSampler.InitialNoise(4, 8, seed: 1);
        var tail = TextToImageSampler.InitialNoise(2, 8, seed: 1, firstIndex: 2);
        Assert.Equal(all[2..].data<float>().ToArray(), tail.data<float>().ToArray());
        var other = TextToImageSampler.InitialNoise(4, 8, seed: 2);
        Assert.NotEqual(all.data<float>().ToArray(), other.data<float>().ToArray());
    }

    [Fact]
    public void GuidanceOneSkipsTheUnconditionalPassButGuidanceChangesImages()
    {
        using var model = TestModels.Micro(seed: 3);
        model.Freeze();
        var noise = TextToImageSampler.InitialNoise(2, 16, seed: 4);
        var plain = TextToImageSampler.Generate(model, Prompts, noise, new SamplingOptions(3, 1.0));
        var guided = TextToImageSampler.Generate(model, Prompts, noise, new SamplingOptions(3, 5.0));
        Assert.NotEqual(plain.data<float>().ToArray(), guided.data<float>().ToArray());
    }

    [Fact]
    public void InvalidOptionsAreUserErrors()
    {
        Assert.Throws<DiffusionAlignException>(() => new SamplingOptions(Steps: 0).Validate());
        Assert.Throws<DiffusionAlignException>(() => new SamplingOptions(Eta: 2).Validate());
    }
}
