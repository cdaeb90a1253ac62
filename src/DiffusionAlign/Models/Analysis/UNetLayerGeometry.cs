using System.Globalization;
using DiffusionAlign.Models;
using static TorchSharp.torch;

namespace DiffusionAlign.Models.Analysis;

/// <summary>
/// Where each diffusers-named UNet layer works, read from its name alone: the side of its feature
/// map, whether it acts once per image, whether an attention reads the prompt. The one place these
/// rules live, for <see cref="FlopCounter"/> and <see cref="ActivationMemory"/>. LoRA adapters are not
/// layers of the base network and are left out (<see cref="IsAdapter"/>).
/// </summary>
internal static class UNetLayerGeometry
{
    /// <summary>
    /// Every named module of <paramref name="unet"/> but LoRA adapters, with the pixel count of the map it works
    /// on when the input is <paramref name="sampleSize"/> on a side.
    /// </summary>
    /// <param name="what">What is being computed, for the error when no size is known.</param>
    /// <param name="sampleSize">The input's side (latents for a latent model); null: the config's sample_size.</param>
    public static IEnumerable<(string Name, nn.Module Module, long Pixels)> Layers(UNet2DConditionModel unet,
        string what, int? sampleSize = null)
    {
        var config = unet.Config;
        int levels = config.BlockOutChannels.Count;
        int size = SampleSide(config, what, sampleSize);
        foreach (var (name, module) in unet.named_modules())
        {
            if (IsAdapter(name)) continue;
            int side = SideOf(name, size, levels);
            yield return (name, module, (long)side * side);
        }
    }

    /// <summary>The input's side: <paramref name="sampleSize"/>, else the config's sample_size.</summary>
    /// <exception cref="DiffusionAlignException">Neither is known, or the side is not positive.</exception>
    public static int SampleSide(UNet2DConditionConfig config, string what, int? sampleSize)
    {
        int size = sampleSize ?? config.SampleSize ?? throw new DiffusionAlignException(
            $"the UNet config has no sample_size, so its {what} per image is undefined without an input size");
        if (size < 1) throw new DiffusionAlignException($"the input side must be positive, got {size}");
        return size;
    }

    /// <summary>Whether the named module is (inside) a LoRA adapter (<c>….attn1.lora.to_q.down</c>).</summary>
    public static bool IsAdapter(string name) =>
        name.Contains("." + Lora.ProjectionAdapters.ModuleName + ".", StringComparison.Ordinal)
            || name.EndsWith("." + Lora.ProjectionAdapters.ModuleName, StringComparison.Ordinal);

    /// <summary>The timestep embedding and each resnet's projection of it act once per image, not per pixel.</summary>
    public static bool ActsOncePerImage(string name) =>
        name.StartsWith("time_embedding", StringComparison.Ordinal)
            || name.EndsWith(".time_emb_proj", StringComparison.Ordinal);

    /// <summary>
    /// Whether the named attention (<c>….attn1</c> or <c>….attn2</c>) takes its keys and values from the
    /// prompt: always for <c>attn2</c>; for <c>attn1</c> only under <c>only_cross_attention</c>, which
    /// diffusers never passes to the middle block.
    /// </summary>
    public static bool AttendsToPrompt(string attention, UNet2DConditionConfig config)
    {
        if (attention.EndsWith(".attn2", StringComparison.Ordinal)) return true;
        if (!attention.EndsWith(".attn1", StringComparison.Ordinal)) return false;
        string[] parts = attention.Split('.');
        return parts[0] switch
        {
            "down_blocks" => config.OnlyCrossAttention.For(int.Parse(parts[1], CultureInfo.InvariantCulture)),
            "up_blocks" => config.OnlyCrossAttention.For(
                config.BlockCount - 1 - int.Parse(parts[1], CultureInfo.InvariantCulture)),
            _ => false,
        };
    }

    /// <summary>
    /// Side of the feature map a named layer works on (its output; a downsampler's input is twice that).
    /// </summary>
    public static int SideOf(string name, int size, int levels)
    {
        string[] parts = name.Split('.');
        if (parts.Length >= 2 && parts[0] == "down_blocks" && int.TryParse(parts[1], out int d))
            return name.Contains(".downsamplers.", StringComparison.Ordinal) ? size >> (d + 1) : size >> d;
        if (parts[0] == "mid_block") return size >> (levels - 1);
        if (parts.Length >= 2 && parts[0] == "up_blocks" && int.TryParse(parts[1], out int u))
        {
            int level = levels - 1 - u;
            return name.Contains(".upsamplers.", StringComparison.Ordinal) ? size >> (level - 1) : size >> level;
        }
        return size;
    }
}
