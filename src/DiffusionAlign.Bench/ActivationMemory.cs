using DiffusionAlign.Models;
using TorchSharp.Modules;

namespace DiffusionAlign.Bench;

/// <summary>
/// Analytic estimate of the activation bytes one UNet forward must keep for backward, per image:
/// the tensors autograd saves, each counted once. Walks the diffusers-named layers with
/// <see cref="UNetLayerGeometry"/>, as <see cref="FlopCounter"/> does:
/// <list type="bullet">
/// <item>convolutions, linear layers, group and layer norms keep their input (a resnet's
/// <c>conv_shortcut</c> shares <c>norm1</c>'s input, and an attention's <c>to_k</c>/<c>to_v</c> share
/// <c>to_q</c>'s input or the prompt states, so those are not counted again);</item>
/// <item>a SiLU after a group norm (resnet <c>norm1</c>/<c>norm2</c>, <c>conv_norm_out</c>) keeps the norm's
/// output; the SiLU's output is the next convolution's input, counted there;</item>
/// <item>GEGLU keeps its projection (2·inner per token) and the GELU output (inner);</item>
/// <item>attention keeps Q, K, V and its output, plus the probabilities (heads·L_q·L_k) when the
/// explicit matmul–softmax kernel runs (the fused kernel keeps only a log-sum-exp per row).</item>
/// </list>
/// Residual additions, nearest upsampling and concatenation keep nothing. fp32 unless told.
/// </summary>
public static class ActivationMemory
{
    public static double UNetSavedBytesPerImage(UNet2DConditionModel unet, int textTokens,
        AttentionKernel kernel = AttentionKernel.ScaledDotProduct, int bytesPerElement = 4)
    {
        var config = unet.Config;
        double elements = 0;
        foreach (var (name, module, pixels) in UNetLayerGeometry.Layers(unet, "activation memory"))
        {
            switch (module)
            {
                case Conv2d conv when !name.EndsWith("conv_shortcut", StringComparison.Ordinal):
                    // A downsampler's convolution reads the map before striding: twice the side it writes.
                    long inputPixels = name.Contains(".downsamplers.", StringComparison.Ordinal) ? 4 * pixels : pixels;
                    elements += (double)conv.weight!.shape[1] * conv.groups * inputPixels;
                    break;
                case GroupNorm norm:
                    long channels = norm.weight!.shape[0];
                    bool feedsSilu = name.EndsWith("norm1", StringComparison.Ordinal)
                        || name.EndsWith("norm2", StringComparison.Ordinal) || name == "conv_norm_out";
                    elements += channels * pixels * (feedsSilu ? 2.0 : 1.0);
                    break;
                case LayerNorm layerNorm:
                    elements += (double)layerNorm.weight!.shape[0] * pixels;
                    break;
                case Linear linear:
                    if (name.Contains(".to_k", StringComparison.Ordinal)
                        || name.Contains(".to_v", StringComparison.Ordinal)) break;
                    long tokens = UNetLayerGeometry.ActsOncePerImage(name) ? 1 : pixels;
                    long inFeatures = linear.weight!.shape[1];
                    elements += (double)tokens * inFeatures;
                    // GEGLU: projection and GELU output
                    if (name.EndsWith("ff.net.0.proj", StringComparison.Ordinal))
                        elements += tokens * (linear.weight!.shape[0] + linear.weight!.shape[0] / 2.0);
                    break;
                case Attention attention:
                    long keys = UNetLayerGeometry.AttendsToPrompt(name, config) ? textTokens : pixels;
                    long inner = (long)attention.Heads * attention.HeadDim;
                    elements += (2.0 * pixels + 2.0 * keys) * inner; // Q, output; K, V
                    elements += kernel == AttentionKernel.MatmulSoftmax
                        ? (double)attention.Heads * pixels * keys
                        : attention.Heads * pixels;
                    break;
            }
        }
        return elements * bytesPerElement;
    }
}
