using DiffusionAlign.Models;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class AutoencoderKLTests
{
    [Fact]
    public void StableDiffusion15sVaeHasDiffusersCheckpointLayout()
    {
        // runwayml/stable-diffusion-v1-5's vae/diffusion_pytorch_model.safetensors: 248 tensors, 83,653,863
        // parameters, with conv_shortcut where a resnet changes width.
        var shapes = AutoencoderKL.CheckpointShapes(AutoencoderKLConfig.StableDiffusion15);
        Assert.Equal(248, shapes.Count);
        Assert.Equal(83_653_863, shapes.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal([256L, 128, 1, 1], shapes["encoder.down_blocks.1.resnets.0.conv_shortcut.weight"]);
        Assert.Equal([128L, 256, 1, 1], shapes["decoder.up_blocks.3.resnets.0.conv_shortcut.weight"]);
        Assert.Equal([512L, 512], shapes["encoder.mid_block.attentions.0.to_q.weight"]);
        Assert.Equal([8L, 8, 1, 1], shapes["quant_conv.weight"]);
        Assert.Equal(8, AutoencoderKLConfig.StableDiffusion15.DownscaleFactor);
    }

    [Fact]
    public void EncodesToLatentsOfTheDownscaledSideAndDecodesBack()
    {
        using var scope = NewDisposeScope();
        var config = new AutoencoderKLConfig
        {
            DownBlockTypes = [AutoencoderKLConfig.DownEncoderBlock, AutoencoderKLConfig.DownEncoderBlock],
            UpBlockTypes = [AutoencoderKLConfig.UpDecoderBlock, AutoencoderKLConfig.UpDecoderBlock],
            BlockOutChannels = [8, 16],
            NormNumGroups = 4,
        };
        using var vae = new AutoencoderKL(config);
        using var noGrad = no_grad();
        var (mean, logVar) = vae.Encode(rand(2, 3, 16, 16) * 2 - 1);
        Assert.Equal([2L, 4, 8, 8], mean.shape);
        Assert.Equal(mean.shape, logVar.shape);
        Assert.True(logVar.le(20).all().item<bool>() && logVar.ge(-30).all().item<bool>());
        Assert.Equal([2L, 3, 16, 16], vae.Decode(mean).shape);
    }

    [Fact]
    public void ConfigsOutsideWhatIsBuiltAreRefusedWithTheKey()
    {
        var error = Assert.Throws<DiffusionAlignException>(() => AutoencoderKLConfig.FromJson(
            """{"block_out_channels": [32, 32], "down_block_types": ["DownEncoderBlock2D"]}"""));
        Assert.Contains("down_block_types", error.Message);
        error = Assert.Throws<DiffusionAlignException>(() => AutoencoderKLConfig.FromJson(
            """{"block_out_channels": [32], "use_quant_conv": false}"""));
        Assert.Contains("use_quant_conv", error.Message);
    }
}
