using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models.Analysis;

public sealed class FlopCounterTests
{
    private const int TextTokens = 5;
    private const int TextWidth = 12;
    private const int TimeEmbedWidth = 32; // 4 × BlockOutChannels[0]

    // Two levels: 8x8 with 8 channels (cross-attention), 4x4 with 16 channels (plain), the middle
    // block at 4x4; two heads everywhere, so head widths 4 and 8.
    private static readonly UNet2DConditionConfig Small = new()
    {
        SampleSize = 8,
        InChannels = 3,
        OutChannels = 3,
        BlockOutChannels = [8, 16],
        DownBlockTypes = [UNet2DConditionConfig.CrossAttnDownBlock, UNet2DConditionConfig.PlainDownBlock],
        UpBlockTypes = [UNet2DConditionConfig.PlainUpBlock, UNet2DConditionConfig.CrossAttnUpBlock],
        LayersPerBlock = 1,
        NormNumGroups = 4,
        CrossAttentionDim = TextWidth,
        AttentionHeadDim = 2,
    };

    // 2 FLOPs per multiply-add; biases, norms and activations are not counted.
    private static double Conv(int pixels, int outChannels, int inChannels, int kernel) =>
        2.0 * pixels * outChannels * inChannels * kernel * kernel;

    private static double Linear(int tokens, int inFeatures, int outFeatures) =>
        2.0 * tokens * inFeatures * outFeatures;

    // QKᵀ and AV, each 2·Lq·Lk·inner summed over heads.
    private static double AttentionMatmuls(int queries, int keys, int inner) => 2.0 * 2.0 * queries * keys * inner;

    // A resnet: conv1, the timestep projection (one vector per image), conv2 and, when the width
    // changes, the 1x1 shortcut.
    private static double Resnet(int pixels, int inChannels, int outChannels) =>
        Conv(pixels, outChannels, inChannels, 3)
        + Linear(1, TimeEmbedWidth, outChannels)
        + Conv(pixels, outChannels, outChannels, 3)
        + (inChannels == outChannels ? 0 : Conv(pixels, outChannels, inChannels, 1));

    // A Transformer2DModel of one BasicTransformerBlock with 1x1-conv projections over C channels.
    private static double Transformer(int pixels, int c) =>
        // proj_in
        Conv(pixels, c, c, 1)
        // attn1: to_q/k/v, QKᵀ·AV, to_out
        + 3 * Linear(pixels, c, c) + AttentionMatmuls(pixels, pixels, c) + Linear(pixels, c, c)
        // attn2: to_q over pixels, to_k/v over the prompt
        + Linear(pixels, c, c) + 2 * Linear(TextTokens, TextWidth, c)
        //        QKᵀ·AV against the prompt, to_out
        + AttentionMatmuls(pixels, TextTokens, c) + Linear(pixels, c, c)
        // ff: GEGLU proj (value and gate halves), net.2
        + Linear(pixels, c, 8 * c) + Linear(pixels, 4 * c, c)
        // proj_out
        + Conv(pixels, c, c, 1);

    [Fact]
    public void OneForwardOfASmallUNetMatchesAHandCount()
    {
        const int p8 = 8 * 8, p4 = 4 * 4;
        double expected =
            Linear(1, 8, 32) + Linear(1, 32, 32)                     // time_embedding.linear_1/2, one token
            + Conv(p8, 8, 3, 3)                                      // conv_in
            // down_blocks.0 (CrossAttnDownBlock2D, 8 → 8 at 8x8), then its stride-2 conv writes 4x4
            + Resnet(p8, 8, 8) + Transformer(p8, 8) + Conv(p4, 8, 8, 3)
            // down_blocks.1 (DownBlock2D, 8 → 16 at 4x4, last level: no downsampler)
            + Resnet(p4, 8, 16)
            // mid_block at 4x4: resnet, transformer, resnet
            + Resnet(p4, 16, 16) + Transformer(p4, 16) + Resnet(p4, 16, 16)
            // up_blocks.0 (UpBlock2D at 4x4): resnet 0 takes hidden 16 + skip 16, resnet 1 hidden 16 + skip 8
            // (down_blocks.0's downsampler output); the upsampler's conv runs after ×2, at 8x8
            + Resnet(p4, 32, 16) + Resnet(p4, 24, 16) + Conv(p8, 16, 16, 3)
            // up_blocks.1 (CrossAttnUpBlock2D at 8x8): hidden 16 + skip 8, then hidden 8 + skip 8 (conv_in's output)
            + Resnet(p8, 24, 8) + Transformer(p8, 8) + Resnet(p8, 16, 8) + Transformer(p8, 8)
            + Conv(p8, 3, 8, 3);                                     // conv_out

        Assert.Equal(3_036_544, expected); // the hand count's value, to read in failure messages
        using var model = new UNet2DConditionModel(Small, new Device(DeviceType.META));
        Assert.Equal(expected, FlopCounter.UNetForward(model, TextTokens));
    }

    [Fact]
    public void DoublingTheSampleSizeQuadruplesPerPixelWorkAndSelfAttentionSixteenfold()
    {
        using var small = new UNet2DConditionModel(Small, new Device(DeviceType.META));
        using var large = new UNet2DConditionModel(Small with { SampleSize = 16 }, new Device(DeviceType.META));

        // Work done once per image whatever its size: the time embedding, the eight resnets'
        // timestep projections (three 8 wide, five 16 wide) and the prompt's keys and values in the
        // four cross-attentions (three 8 wide: one in down_blocks.0, two in up_blocks.1; one 16 wide
        // in the middle block).
        double perImage = Linear(1, 8, 32) + Linear(1, 32, 32)
            + 3 * Linear(1, TimeEmbedWidth, 8) + 5 * Linear(1, TimeEmbedWidth, 16)
            + 3 * 2 * Linear(TextTokens, TextWidth, 8) + 2 * Linear(TextTokens, TextWidth, 16);
        // Self-attention's QKᵀ and AV grow with pixels², i.e. 16× rather than 4×.
        double selfAttention = 3 * AttentionMatmuls(64, 64, 8) + AttentionMatmuls(16, 16, 16);

        double expected = 4 * (FlopCounter.UNetForward(small, TextTokens) - perImage - selfAttention) + perImage
            + 16 * selfAttention;
        Assert.Equal(expected, FlopCounter.UNetForward(large, TextTokens));
    }

    [Fact]
    public void OnlyCrossAttentionMovesTheFirstAttentionsKeysToThePrompt()
    {
        using var plain = new UNet2DConditionModel(Small, new Device(DeviceType.META));
        using var onlyCross = new UNet2DConditionModel(Small with { OnlyCrossAttention = true },
            new Device(DeviceType.META));

        // In the three 8-wide transformers of the cross-attention blocks, attn1's keys and values come
        // from the 5 prompt tokens instead of the 64 pixels; the middle block is left as it is.
        double pixelKeys = 2 * Linear(64, 8, 8) + AttentionMatmuls(64, 64, 8);
        double promptKeys = 2 * Linear(TextTokens, TextWidth, 8) + AttentionMatmuls(64, TextTokens, 8);

        Assert.Equal(
            FlopCounter.UNetForward(plain, TextTokens) + 3 * (promptKeys - pixelKeys),
            FlopCounter.UNetForward(onlyCross, TextTokens));
    }
}
