using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models.Analysis;

public sealed class ActivationMemoryTests
{
    private const int Tokens = 5;

    // TestModels.Micro's UNet: levels of 8 and 16 channels, attention at level 1 and in the middle block.
    private static UNet2DConditionModel MicroUnet(int? sampleSize = null)
    {
        var config = TestModels.MicroConfig(new DiffusionAlign.Worlds.Shapes.ShapesWorld()).Unet;
        return new UNet2DConditionModel(sampleSize is int s ? config with { SampleSize = s } : config,
            new Device(DeviceType.META));
    }

    [Fact]
    public void TheExplicitAttentionKernelKeepsTheProbabilitiesOnTopOfWhatTheFusedOneKeeps()
    {
        using var unet = MicroUnet();
        int size = unet.Config.SampleSize!.Value;
        int levels = unet.Config.BlockOutChannels.Count;

        double fused = ActivationMemory.UNetSavedBytesPerImage(unet, Tokens, kernel: AttentionKernel.ScaledDotProduct);
        double explicitKernel = ActivationMemory.UNetSavedBytesPerImage(unet, Tokens,
            kernel: AttentionKernel.MatmulSoftmax);

        // Per attention layer the explicit kernel keeps heads·Lq·Lk probabilities instead of heads·Lq log-sum-exps.
        double expected = 0;
        foreach (var (name, module) in unet.named_modules())
        {
            if (module is not Attention attention) continue;
            // Micro: attention only at level 1 and mid
            int side = name.StartsWith("mid_block", StringComparison.Ordinal) ? size >> (levels - 1) : size >> 1;
            long queries = (long)side * side;
            long keys = name.EndsWith(".attn2", StringComparison.Ordinal) ? Tokens : queries;
            expected += 4.0 * attention.Heads * queries * (keys - 1);
        }
        Assert.True(expected > 0);
        Assert.Equal(expected, explicitKernel - fused, 6);
    }

    [Fact]
    public void TheInputsSideOverridesTheConfigsSampleSize()
    {
        using var trainedAt16 = MicroUnet(16);
        using var trainedAt32 = MicroUnet(32);

        Assert.Equal(ActivationMemory.UNetSavedBytesPerImage(trainedAt32, Tokens),
            ActivationMemory.UNetSavedBytesPerImage(trainedAt16, Tokens, sampleSize: 32));
        Assert.True(ActivationMemory.UNetSavedBytesPerImage(trainedAt16, Tokens, sampleSize: 32)
            > 3 * ActivationMemory.UNetSavedBytesPerImage(trainedAt16, Tokens));
        Assert.Equal(FlopCounter.UNetForward(trainedAt32, Tokens),
            FlopCounter.UNetForward(trainedAt16, Tokens, sampleSize: 32));
    }

    [Fact]
    public void TheBlocksSplitTheTotal()
    {
        using var unet = MicroUnet();
        var byBlock = ActivationMemory.UNetSavedBytesByBlock(unet, Tokens);

        Assert.Equal(
            ["", "down_blocks.0", "down_blocks.1", "mid_block", "up_blocks.0", "up_blocks.1"],
            byBlock.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ActivationMemory.UNetSavedBytesPerImage(unet, Tokens), byBlock.Values.Sum(), 6);
    }

    [Fact]
    public void BlockBoundariesAreTheSkipsAndTheTensorsBetweenBlocks()
    {
        using var unet = MicroUnet();
        // Side 16, channels 8 and 16, one resnet a down block.
        double elements =
            8 * 256                // conv_in's output
            + 8 * 256 + 8 * 64     // down_blocks.0: its resnet's output, its downsampler's output (8×8)
            + 16 * 64              // down_blocks.1: its resnet's output
            + 16 * 64              // the middle block's output
            + 16 * 256             // up_blocks.0's output, upsampled to 16×16
            + 32                   // the timestep embedding (4 × 8)
            + Tokens * 16;         // the prompt states

        Assert.Equal(4 * elements, ActivationMemory.UNetBlockBoundaryBytesPerImage(unet.Config, Tokens));
        var byBlock = ActivationMemory.UNetSavedBytesByBlock(unet, Tokens);
        double largest = byBlock.Where(kv => kv.Key != "").Max(kv => kv.Value);
        Assert.Equal(4 * elements + byBlock[""] + largest,
            ActivationMemory.UNetCheckpointedBytesPerImage(unet, Tokens));
    }

    [Fact]
    public void CheckpointingKeepsLessThanTheWholeGraph()
    {
        using var unet = MicroUnet();
        Assert.True(ActivationMemory.UNetCheckpointedBytesPerImage(unet, Tokens, sampleSize: 64)
            < 0.7 * ActivationMemory.UNetSavedBytesPerImage(unet, Tokens, sampleSize: 64));
    }

    [Fact]
    public void AdaptersKeepTheirRankIntermediateAndOnABfloat16BaseAFloat32CopyOfTheirInput()
    {
        using var unet = MicroUnet();
        var lora = new LoraConfig { Rank = 3 };
        // Four transformers (down_blocks.1, the middle block, two in up_blocks.0), all at 8×8 = 64 pixels with
        // 16 channels: attn1's q, k, v and out read the 64 pixels; attn2's k and v read the prompt.
        const int transformers = 4, pixels = 64, width = 16;
        double rankBytes = transformers * 4.0 * lora.Rank * (4 * pixels + 2 * pixels + 2 * Tokens);
        // attn2's k and v read prompt states 16 wide (the Micro config's cross-attention width).
        double copyBytes = transformers * 4.0 * (6 * pixels * width + 2 * Tokens * 16);

        double fp32 = ActivationMemory.UNetAdapterSavedBytesByBlock(unet, lora, Tokens).Values.Sum();
        double bf16 = ActivationMemory.UNetAdapterSavedBytesByBlock(unet, lora, Tokens, baseBytesPerElement: 2)
            .Values.Sum();

        Assert.Equal(rankBytes, fp32, 6);
        Assert.Equal(rankBytes + copyBytes, bf16, 6);
        Assert.Equal(ActivationMemory.UNetSavedBytesPerImage(unet, Tokens) + fp32,
            ActivationMemory.UNetSavedBytesPerImage(unet, Tokens, lora: lora), 6);
    }
}
