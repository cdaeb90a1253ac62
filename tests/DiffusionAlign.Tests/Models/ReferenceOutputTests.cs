using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

/// <summary>
/// Whole-model cross-checks against numbers computed once with PyTorch by Reference/reference_models.py
/// (an independent float64 implementation following diffusers' and transformers' source). Both sides fill
/// parameter k (names sorted ordinally) with 0.2·sin(0.7·i + 1.3·k + 0.1), so equal outputs also mean
/// equal parameter names and shapes.
/// </summary>
public sealed class ReferenceOutputTests
{
    private static void Fill(nn.Module model)
    {
        var names = model.state_dict().Keys.Order(StringComparer.Ordinal).ToList();
        var state = model.state_dict();
        using var noGrad = torch.no_grad();
        for (var k = 0; k < names.Count; k++)
        {
            var target = state[names[k]];
            var values = new double[target.numel()];
            for (var i = 0; i < values.Length; i++) values[i] = 0.2 * Math.Sin(0.7 * i + 1.3 * k + 0.1);
            target.copy_(torch.tensor(values).reshape(target.shape));
        }
    }

    private static Tensor Wave(long[] shape, double a, double b)
    {
        var values = new double[shape.Aggregate(1L, (x, y) => x * y)];
        for (var i = 0; i < values.Length; i++) values[i] = Math.Sin(a * i + b);
        return torch.tensor(values).reshape(shape);
    }

    private static void AssertMatches(Tensor output, double sum, double sumOfSquares, int[] picks, double[] picked,
        double tolerance)
    {
        var flat = output.flatten().data<double>().ToArray();
        Assert.Equal(sum, flat.Sum(), tolerance * 10);
        Assert.Equal(sumOfSquares, flat.Sum(v => v * v), tolerance * 10);
        for (var i = 0; i < picks.Length; i++) Assert.Equal(picked[i], flat[picks[i]], tolerance);
    }

    [Fact]
    public void UNetMatchesThePyTorchReference()
    {
        using var scope = NewDisposeScope();
        var config = new UNet2DConditionConfig
        {
            InChannels = 3,
            OutChannels = 3,
            BlockOutChannels = [8, 16, 16],
            DownBlockTypes =
            [
                UNet2DConditionConfig.PlainDownBlock, UNet2DConditionConfig.CrossAttnDownBlock,
                UNet2DConditionConfig.CrossAttnDownBlock
            ],
            UpBlockTypes =
            [
                UNet2DConditionConfig.CrossAttnUpBlock, UNet2DConditionConfig.CrossAttnUpBlock,
                UNet2DConditionConfig.PlainUpBlock
            ],
            LayersPerBlock = 1,
            AttentionHeadDim = 2,
            CrossAttentionDim = 12,
            NormNumGroups = 4,
        };
        using var model = new UNet2DConditionModel(config);
        model.to(ScalarType.Float64);
        Assert.Equal(324, model.state_dict().Count);
        Assert.Equal(107_723L, model.ParameterCount);
        Fill(model);
        using var noGrad = torch.no_grad();

        // 10x6 shrinks to 5x3 and 3x2, so both upsamplers must hit odd skip sizes.
        var output = model.forward(Wave([2, 3, 10, 6], 0.31, 0.0), torch.tensor(new long[] { 3, 700 }),
            Wave([2, 5, 12], 0.17, 0.5));

        Assert.Equal(new long[] { 2, 3, 10, 6 }, output.shape);
        // Both sides compute the timestep embedding in float32, as diffusers does, and the rest in float64.
        AssertMatches(output, -17.64622932, 5.627395409, [0, 37, 101, 202, 359],
            [-0.1388872913, -0.1381661232, -0.03222982545, -0.06766060286, 0.04932603408], tolerance: 1e-8);
    }

    [Fact]
    public void ClipTextModelMatchesThePyTorchReference()
    {
        using var scope = NewDisposeScope();
        var config = new ClipTextConfig
        {
            VocabSize = 20,
            HiddenSize = 16,
            IntermediateSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            MaxPositionEmbeddings = 8,
            HiddenAct = "quick_gelu",
        };
        using var model = new ClipTextModel(config);
        model.to(ScalarType.Float64);
        Assert.Equal(36, model.state_dict().Count);
        Assert.Equal(7_040L, model.ParameterCount);
        Fill(model);
        using var noGrad = torch.no_grad();

        var output = model.forward(
            torch.tensor(new long[] { 1, 5, 19, 0, 7, 3, /**/ 2, 2, 8, 13, 4, 11 }).reshape(2, 6));

        AssertMatches(output, -3.592079979, 6.71608037, [0, 17, 50, 99, 150, 191],
            [-0.237906591, 0.1764332302, 0.2342859736, -0.01077196547, -0.209774765, -0.1610749944], tolerance: 1e-8);
    }
}
