using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// A block of the UNet's expanding path (<c>up_blocks.N</c>): each resnet first concatenates the
/// deepest remaining skip connection on the channel axis; then an optional upsampler.
/// </summary>
public abstract class UNetUpBlock : nn.Module
{
    protected UNetUpBlock(string name) : base(name) { }

    /// <summary>Skip connections this block consumes: one per resnet (layers_per_block + 1).</summary>
    public abstract int SkipCount { get; }

    /// <summary>Runs the block.</summary>
    /// <param name="hidden">Feature map <c>[B, C, H, W]</c> from the block below.</param>
    /// <param name="skips">This block's skip connections, shallowest first; consumed from the end.</param>
    /// <param name="temb">Timestep embedding <c>[B, temb]</c>.</param>
    /// <param name="context">Prompt embeddings <c>[B, L, cross]</c> (ignored by blocks without attention).</param>
    /// <param name="upsampleSize">Target (height, width) of the upsampler; null for 2x.</param>
    public abstract Tensor forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, Tensor context,
        long[]? upsampleSize);
}
