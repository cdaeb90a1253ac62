namespace DiffusionAlign.Models;

/// <summary>How the resnets of one UNet block are built (shared by all its resnets).</summary>
/// <param name="TembChannels">Width of the timestep embedding.</param>
/// <param name="Groups">GroupNorm groups.</param>
/// <param name="Eps">GroupNorm epsilon.</param>
/// <param name="ActFn">Activation name, see <see cref="Activation"/>.</param>
/// <param name="Dropout">Dropout between the two convolutions.</param>
/// <param name="OutputScaleFactor">Divides each resnet's output (diffusers' <c>output_scale_factor</c>).</param>
public sealed record ResnetSettings(
    int TembChannels, int Groups, double Eps, string ActFn, double Dropout = 0.0, double OutputScaleFactor = 1.0)
{
    internal ResnetBlock2D CreateResnet(int inChannels, int outChannels, TorchSharp.torch.Device? device) =>
        new(inChannels, outChannels, TembChannels, Groups, Eps, ActFn, Dropout, OutputScaleFactor, device);
}

/// <summary>How the transformers of one cross-attention UNet block are built.</summary>
/// <param name="Heads">Number of attention heads; the head width is the block's channels / heads.</param>
/// <param name="CrossAttentionDim">Width of the prompt embeddings.</param>
/// <param name="TransformerLayers">Transformer blocks per <see cref="Transformer2DModel"/>.</param>
/// <param name="UseLinearProjection">Linear instead of 1x1-conv projections.</param>
/// <param name="OnlyCrossAttention">See <see cref="BasicTransformerBlock"/>.</param>
public sealed record CrossAttentionSettings(
    int Heads, int CrossAttentionDim, int TransformerLayers, bool UseLinearProjection, bool OnlyCrossAttention = false)
{
    /// <summary>The transformer that follows a resnet with <paramref name="channels"/> outputs.</summary>
    internal Transformer2DModel CreateTransformer(int channels, ResnetSettings resnet, TorchSharp.torch.Device? device)
        => new(Heads, channels / Heads, channels, TransformerLayers, CrossAttentionDim, resnet.Groups,
            UseLinearProjection, OnlyCrossAttention, resnet.Dropout, device);
}
