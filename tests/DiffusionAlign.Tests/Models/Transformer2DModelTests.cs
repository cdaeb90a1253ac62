using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class Transformer2DModelTests
{
    [Fact]
    public void LinearAndConvolutionProjectionsComputeTheSameFunction()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        using var conv = new Transformer2DModel(heads: 2, headDim: 4, inChannels: 8, layers: 2, crossAttentionDim: 6,
            normGroups: 4, useLinearProjection: false);
        using var linear = new Transformer2DModel(heads: 2, headDim: 4, inChannels: 8, layers: 2, crossAttentionDim: 6,
            normGroups: 4, useLinearProjection: true);
        var convState = conv.state_dict();
        using (torch.no_grad())
        {
            // A 1x1 convolution is a linear map over channels: same numbers, weight shape [o, i, 1, 1] vs [o, i].
            foreach (var (name, tensor) in linear.state_dict()) tensor.copy_(convState[name].reshape(tensor.shape));
        }

        var input = torch.randn(2, 8, 3, 5);
        var context = torch.randn(2, 4, 6);

        var difference = (conv.forward(input, context) - linear.forward(input, context)).abs().max().item<float>();
        Assert.True(difference < 1e-5f, $"outputs differ by {difference}");
    }

    [Fact]
    public void ZeroOutputProjectionLeavesTheInputUnchanged()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(12);
        using var transformer = new Transformer2DModel(heads: 1, headDim: 4, inChannels: 4, layers: 1,
            crossAttentionDim: 3, normGroups: 2, useLinearProjection: false);
        ModuleWeights.Set(transformer, ("proj_out.weight", new float[16]), ("proj_out.bias", new float[4]));
        var input = torch.randn(1, 4, 2, 2);

        var output = transformer.forward(input, torch.randn(1, 2, 3));

        Assert.Equal(ModuleWeights.Values(input), ModuleWeights.Values(output));
    }
}
