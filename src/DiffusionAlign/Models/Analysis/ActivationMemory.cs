using DiffusionAlign.Models.Lora;
using TorchSharp.Modules;

namespace DiffusionAlign.Models.Analysis;

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
/// Residual additions, nearest upsampling and concatenation keep nothing. fp32 unless told. Every
/// method takes the input's side (<c>sampleSize</c>; the latents' side for a latent model), defaulting to
/// the config's <c>sample_size</c>, which is only the size the model was trained at.
/// </summary>
public static class ActivationMemory
{
    /// <summary>The key of the layers outside the blocks: conv_in, time embedding, conv_norm_out, conv_out.</summary>
    public const string OutsideBlocks = "";

    /// <param name="unet">The UNet (a META-device one will do: only shapes are read).</param>
    /// <param name="textTokens">Length of the prompt states cross-attention reads.</param>
    /// <param name="sampleSize">The input's side; null: the config's <c>sample_size</c>.</param>
    /// <param name="kernel">The attention kernel the forward runs.</param>
    /// <param name="bytesPerElement">4 for float32, 2 for bfloat16.</param>
    /// <param name="lora">
    /// Adapters the UNet trains with (their own saved tensors, <see cref="UNetAdapterSavedBytesByBlock"/>).
    /// </param>
    public static double UNetSavedBytesPerImage(UNet2DConditionModel unet, int textTokens, int? sampleSize = null,
        AttentionKernel kernel = AttentionKernel.ScaledDotProduct, int bytesPerElement = 4, LoraConfig? lora = null) =>
        UNetSavedBytesByBlock(unet, textTokens, sampleSize, kernel, bytesPerElement, lora).Values.Sum();

    /// <summary>
    /// <see cref="UNetSavedBytesPerImage"/> split by block: <c>down_blocks.i</c>, <c>mid_block</c>,
    /// <c>up_blocks.i</c>, and <see cref="OutsideBlocks"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, double> UNetSavedBytesByBlock(UNet2DConditionModel unet,
        int textTokens, int? sampleSize = null, AttentionKernel kernel = AttentionKernel.ScaledDotProduct,
        int bytesPerElement = 4, LoraConfig? lora = null)
    {
        var config = unet.Config;
        var byBlock = lora is null
            ? new Dictionary<string, double>(StringComparer.Ordinal)
            : UNetAdapterSavedBytesByBlock(unet, lora, textTokens, sampleSize, bytesPerElement).ToDictionary();
        foreach (var (name, module, pixels) in UNetLayerGeometry.Layers(unet, "activation memory", sampleSize))
        {
            double elements = 0;
            switch (module)
            {
                case Conv2d conv when !name.EndsWith("conv_shortcut", StringComparison.Ordinal):
                    // A downsampler's convolution reads the map before striding: twice the side it writes.
                    long inputPixels = name.Contains(".downsamplers.", StringComparison.Ordinal) ? 4 * pixels : pixels;
                    elements = (double)conv.weight!.shape[1] * conv.groups * inputPixels;
                    break;
                case GroupNorm norm:
                    long channels = norm.weight!.shape[0];
                    bool feedsSilu = name.EndsWith("norm1", StringComparison.Ordinal)
                        || name.EndsWith("norm2", StringComparison.Ordinal) || name == "conv_norm_out";
                    elements = channels * pixels * (feedsSilu ? 2.0 : 1.0);
                    break;
                case LayerNorm layerNorm:
                    elements = (double)layerNorm.weight!.shape[0] * pixels;
                    break;
                case Linear linear:
                    if (name.Contains(".to_k", StringComparison.Ordinal)
                        || name.Contains(".to_v", StringComparison.Ordinal)) break;
                    long tokens = UNetLayerGeometry.ActsOncePerImage(name) ? 1 : pixels;
                    long inFeatures = linear.weight!.shape[1];
                    elements = (double)tokens * inFeatures;
                    // GEGLU: projection and GELU output
                    if (name.EndsWith("ff.net.0.proj", StringComparison.Ordinal))
                        elements += tokens * (linear.weight!.shape[0] + linear.weight!.shape[0] / 2.0);
                    break;
                case Attention attention:
                    long keys = UNetLayerGeometry.AttendsToPrompt(name, config) ? textTokens : pixels;
                    long inner = (long)attention.Heads * attention.HeadDim;
                    elements = (2.0 * pixels + 2.0 * keys) * inner; // Q, output; K, V
                    elements += kernel == AttentionKernel.MatmulSoftmax
                        ? (double)attention.Heads * pixels * keys
                        : attention.Heads * pixels;
                    break;
            }
            if (elements == 0) continue;
            string block = BlockOf(name);
            byBlock[block] = byBlock.GetValueOrDefault(block) + elements * bytesPerElement;
        }
        return byBlock;
    }

    /// <summary>
    /// What a forward under gradient checkpointing keeps, per image: the tensors at block boundaries
    /// (<see cref="UNetBlockBoundaryBytesPerImage"/>), what the layers outside the blocks keep, and, while
    /// backward rebuilds one block, that block's activations (the largest block is counted).
    /// </summary>
    public static double UNetCheckpointedBytesPerImage(UNet2DConditionModel unet, int textTokens,
        int? sampleSize = null, AttentionKernel kernel = AttentionKernel.ScaledDotProduct, int bytesPerElement = 4,
        LoraConfig? lora = null)
    {
        var byBlock = UNetSavedBytesByBlock(unet, textTokens, sampleSize, kernel, bytesPerElement, lora);
        double largestBlock = byBlock.Where(kv => kv.Key != OutsideBlocks).Select(kv => kv.Value).DefaultIfEmpty()
            .Max();
        return UNetBlockBoundaryBytesPerImage(unet.Config, textTokens, sampleSize, bytesPerElement)
            + byBlock.GetValueOrDefault(OutsideBlocks) + largestBlock;
    }

    /// <summary>
    /// The tensors that pass between blocks, per image: conv_in's output and every down block's skips (which the
    /// up blocks wait for), the middle block's output, each up block's output but the last, the timestep
    /// embedding and the prompt states. Checkpointing keeps exactly these; a forward without a graph holds them
    /// too, until the up blocks consume the skips.
    /// </summary>
    public static double UNetBlockBoundaryBytesPerImage(UNet2DConditionConfig config, int textTokens,
        int? sampleSize = null, int bytesPerElement = 4)
    {
        int size = UNetLayerGeometry.SampleSide(config, "activation memory", sampleSize);
        var channels = config.BlockOutChannels;
        int levels = channels.Count;
        double Map(int level, int side) => (double)channels[level] * side * side;
        double elements = Map(0, size); // conv_in
        for (int i = 0; i < levels; i++)
        {
            elements += config.LayersPerBlock.For(i) * Map(i, size >> i);
            if (i < levels - 1) elements += Map(i, size >> (i + 1)); // the downsampler's output
        }
        elements += Map(levels - 1, size >> (levels - 1)); // the middle block's output
        for (int i = 0; i < levels - 1; i++)
        {
            int level = levels - 1 - i;
            elements += Map(level, size >> (level - 1)); // upsampled, feeding the next up block
        }
        int promptWidth = Enumerable.Range(0, levels).Max(i => config.CrossAttentionDim.For(i));
        elements += config.TimeEmbedDim + (double)textTokens * promptWidth;
        return elements * bytesPerElement;
    }

    /// <summary>
    /// What LoRA adapters of <paramref name="lora"/> on the UNet's attention keep, per image, beyond the base
    /// network: each adapter's rank-r intermediate (float32), and the float32 copy of the projection's input
    /// it computes from when that differs from the base's own input: a base computing in bfloat16
    /// (<paramref name="baseBytesPerElement"/> 2), or dropout on the adapter's input (plus its mask). By block,
    /// as <see cref="UNetSavedBytesByBlock"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, double> UNetAdapterSavedBytesByBlock(UNet2DConditionModel unet,
        LoraConfig lora, int textTokens, int? sampleSize = null, int baseBytesPerElement = 4)
    {
        var config = unet.Config;
        var byBlock = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, module, pixels) in UNetLayerGeometry.Layers(unet, "activation memory", sampleSize))
        {
            if (module is not ILoraHost host) continue;
            bool prompt = UNetLayerGeometry.AttendsToPrompt(name, config);
            foreach (var (projection, layer) in host.Projections.Where(p => lora.TargetModules.Contains(p.Name)))
            {
                long tokens = projection is "to_k" or "to_v" && prompt ? textTokens : pixels;
                double inputs = (double)tokens * layer.weight!.shape[1];
                double bytes = 4.0 * tokens * lora.Rank;
                if (baseBytesPerElement != 4 || lora.Dropout > 0) bytes += 4.0 * inputs;
                if (lora.Dropout > 0) bytes += inputs; // the mask, one byte an element
                string block = BlockOf(name);
                byBlock[block] = byBlock.GetValueOrDefault(block) + bytes;
            }
        }
        return byBlock;
    }

    /// <summary>
    /// The block a named layer belongs to (<c>down_blocks.1</c>, <c>mid_block</c>), or <see cref="OutsideBlocks"/>.
    /// </summary>
    public static string BlockOf(string name)
    {
        string[] parts = name.Split('.');
        return parts[0] switch
        {
            "down_blocks" or "up_blocks" when parts.Length >= 2 => parts[0] + "." + parts[1],
            "mid_block" => "mid_block",
            _ => OutsideBlocks,
        };
    }
}
