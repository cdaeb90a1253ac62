using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class UNet2DConditionModelTests
{
    // Names and shapes of runwayml/stable-diffusion-v1-5 unet/diffusion_pytorch_model.safetensors.
    public static TheoryData<string, long[]> StableDiffusion15Tensors => new()
    {
        { "conv_in.weight", [320, 4, 3, 3] },
        { "conv_in.bias", [320] },
        { "time_embedding.linear_1.weight", [1280, 320] },
        { "time_embedding.linear_2.weight", [1280, 1280] },
        { "down_blocks.0.resnets.0.norm1.weight", [320] },
        { "down_blocks.0.resnets.0.conv1.weight", [320, 320, 3, 3] },
        { "down_blocks.0.resnets.0.time_emb_proj.weight", [320, 1280] },
        { "down_blocks.0.attentions.0.norm.weight", [320] },
        { "down_blocks.0.attentions.0.proj_in.weight", [320, 320, 1, 1] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", [320, 320] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", [320, 768] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0.weight", [320, 320] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0.bias", [320] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", [2560, 320] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight", [320, 1280] },
        { "down_blocks.0.attentions.0.transformer_blocks.0.norm3.bias", [320] },
        { "down_blocks.0.downsamplers.0.conv.weight", [320, 320, 3, 3] },
        { "down_blocks.1.resnets.0.conv_shortcut.weight", [640, 320, 1, 1] },
        { "down_blocks.2.attentions.1.transformer_blocks.0.attn1.to_v.weight", [1280, 1280] },
        { "down_blocks.3.resnets.1.conv2.weight", [1280, 1280, 3, 3] },
        { "mid_block.attentions.0.transformer_blocks.0.attn1.to_q.weight", [1280, 1280] },
        { "mid_block.resnets.1.time_emb_proj.weight", [1280, 1280] },
        { "up_blocks.0.resnets.0.conv1.weight", [1280, 2560, 3, 3] },
        { "up_blocks.0.resnets.2.conv_shortcut.weight", [1280, 2560, 1, 1] },
        { "up_blocks.0.upsamplers.0.conv.weight", [1280, 1280, 3, 3] },
        { "up_blocks.1.attentions.2.proj_out.weight", [1280, 1280, 1, 1] },
        { "up_blocks.1.resnets.2.conv1.weight", [1280, 1920, 3, 3] },
        { "up_blocks.1.upsamplers.0.conv.weight", [1280, 1280, 3, 3] },
        { "up_blocks.3.resnets.0.conv1.weight", [320, 960, 3, 3] },
        { "up_blocks.3.resnets.2.conv1.weight", [320, 640, 3, 3] },
        { "up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_v.weight", [320, 768] },
        { "conv_norm_out.weight", [320] },
        { "conv_out.weight", [4, 320, 3, 3] },
    };

    [Theory]
    [MemberData(nameof(StableDiffusion15Tensors))]
    public void StableDiffusion15HasTheCheckpointTensor(string name, long[] shape)
    {
        var state = StableDiffusion15StateShapes.Value;
        Assert.True(state.ContainsKey(name), $"missing {name}");
        Assert.Equal(shape, state[name]);
    }

    [Fact]
    public void StableDiffusion15HasTheCheckpointsKeyAndParameterCounts()
    {
        var state = StableDiffusion15StateShapes.Value;
        Assert.Equal(686, state.Count);
        Assert.Equal(859_520_964L, state.Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b)));
        Assert.DoesNotContain(state.Keys,
            k => k.StartsWith("time_proj") || k.Contains("to_out.1") || k.Contains("net.1"));
        Assert.DoesNotContain(state.Keys,
            k => k.StartsWith("down_blocks.3.downsamplers") || k.StartsWith("up_blocks.3.upsamplers"));
    }

    // Built once on the meta device: names and shapes without allocating SD1.5's 3.4 GB.
    private static readonly Lazy<IReadOnlyDictionary<string, long[]>> StableDiffusion15StateShapes =
        new(() => UNet2DConditionModel.CheckpointShapes(UNet2DConditionConfig.StableDiffusion15));

    [Fact]
    public void TinyMapsNoisyImagesToSameShapedPredictions()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        var sample = torch.randn(2, 3, 32, 32);
        var timesteps = torch.tensor(new long[] { 10, 900 });
        var prompt = torch.randn(2, 5, 64);

        var output = model.forward(sample, timesteps, prompt);

        Assert.Equal(new long[] { 2, 3, 32, 32 }, output.shape);
        Assert.True(torch.isfinite(output).all().item<bool>());
    }

    [Fact]
    public void TinyIsSmallEnoughForCpuTraining()
    {
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        Assert.InRange(model.ParameterCount, 1_000_000, 3_000_000);
    }

    [Fact]
    public void OddSidesAreUpsampledToTheSkipSizes()
    {
        using var scope = NewDisposeScope();
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        var output = model.forward(torch.randn(1, 3, 30, 22), torch.tensor(5L), torch.randn(1, 4, 64));
        Assert.Equal(new long[] { 1, 3, 30, 22 }, output.shape);
    }

    [Fact]
    public void FloatAndIntegerTimestepsGiveTheSameOutput()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(2);
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        model.eval();
        var sample = torch.randn(2, 3, 16, 16);
        var prompt = torch.randn(2, 3, 64);
        using var noGrad = torch.no_grad();

        var fromLong = model.forward(sample, torch.tensor(new long[] { 7, 7 }), prompt);
        var fromFloat = model.forward(sample, torch.tensor(7.0f), prompt);

        Assert.True(torch.allclose(fromLong, fromFloat));
    }

    [Fact]
    public void TheOutputDependsOnThePromptAndTheTimestep()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        using var noGrad = torch.no_grad();
        var sample = torch.randn(1, 3, 16, 16);
        var prompt = torch.randn(1, 3, 64);
        var t = torch.tensor(new long[] { 100 });

        var reference = model.forward(sample, t, prompt);
        var otherPrompt = model.forward(sample, t, torch.randn(1, 3, 64));
        var otherTime = model.forward(sample, torch.tensor(new long[] { 600 }), prompt);

        Assert.True((reference - otherPrompt).abs().max().item<float>() > 1e-4f);
        Assert.True((reference - otherTime).abs().max().item<float>() > 1e-4f);
    }

    [Fact]
    public void GradientsReachEveryParameter()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(4);
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        var output = model.forward(torch.randn(2, 3, 16, 16), torch.tensor(new long[] { 3, 500 }),
            torch.randn(2, 4, 64));

        output.pow(2).mean().backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var grad = parameter.grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            Assert.True(grad.abs().sum().item<float>() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void ACheckpointOfItsOwnNamesLoadsAndReproducesTheOutput()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        using var source = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        using var target = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        var weights = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        target.LoadCheckpoint(weights);

        using var noGrad = torch.no_grad();
        var sample = torch.randn(1, 3, 16, 16);
        var t = torch.tensor(new long[] { 42 });
        var prompt = torch.randn(1, 2, 64);
        Assert.Equal(0f,
            (source.forward(sample, t, prompt) - target.forward(sample, t, prompt)).abs().max().item<float>());
    }

    [Fact]
    public void ACheckpointWithAWrongShapeOrNameIsRefused()
    {
        using var scope = NewDisposeScope();
        using var model = new UNet2DConditionModel(UNet2DConditionConfig.Tiny);
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        var reshaped = new Dictionary<string, Tensor>(weights) { ["conv_in.weight"] = torch.zeros(32, 4, 3, 3) };
        var shapeError = Assert.Throws<DiffusionAlignException>(() => model.LoadCheckpoint(reshaped));
        Assert.Contains("conv_in.weight", shapeError.Message);

        var renamed = new Dictionary<string, Tensor>(weights);
        renamed.Remove("conv_out.bias");
        renamed["conv_out.b"] = weights["conv_out.bias"];
        var nameError = Assert.Throws<DiffusionAlignException>(() => model.LoadCheckpoint(renamed));
        Assert.Contains("conv_out.bias", nameError.Message);
        Assert.Contains("conv_out.b", nameError.Message);
    }
}
