using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// A block of the UNet's contracting path (<c>down_blocks.N</c>): resnets (and transformers) at one
/// resolution, then an optional stride-2 downsampler. Every intermediate output is kept as a skip
/// connection for the expanding path.
/// </summary>
public abstract class UNetDownBlock : nn.Module
{
    protected UNetDownBlock(string name) : base(name) { }

    /// <summary>Skip connections this block emits: one per resnet, plus one after the downsampler.</summary>
    public abstract int SkipCount { get; }

    /// <summary>Runs the block; returns its output and the skip connections, shallowest first.</summary>
    /// <param name="hidden">Feature map <c>[B, C_in, H, W]</c>.</param>
    /// <param name="temb">Timestep embedding <c>[B, temb]</c>.</param>
    /// <param name="context">Prompt embeddings <c>[B, L, cross]</c> (ignored by blocks without attention).</param>
    public abstract (Tensor Hidden, IReadOnlyList<Tensor> Skips) forward(Tensor hidden, Tensor temb, Tensor context);
}
