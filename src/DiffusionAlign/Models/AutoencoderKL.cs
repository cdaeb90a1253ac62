using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>AutoencoderKL</c>, the Stable Diffusion VAE, with its parameter names (<c>encoder.</c>,
/// <c>decoder.</c>, <c>quant_conv</c>, <c>post_quant_conv</c>): images in [−1, 1] to a diagonal Gaussian
/// over latents and latents back to images. <see cref="AutoencoderKLConfig.ScalingFactor"/> is applied by
/// the caller, as in diffusers' pipelines.
/// </summary>
public sealed class AutoencoderKL : nn.Module<Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly VaeEncoder encoder;
    private readonly VaeDecoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    public AutoencoderKL(AutoencoderKLConfig config, Device? device = null)
        : base(nameof(AutoencoderKL))
    {
        config.Validate();
        Config = config;
        encoder = new VaeEncoder(config, device);
        decoder = new VaeDecoder(config, device);
        quant_conv = nn.Conv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1, device: device);
        post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, 1, device: device);
        RegisterComponents();
    }

    public AutoencoderKLConfig Config { get; }

    /// <summary>
    /// The latent distribution of images <c>[B, C, H, W]</c>: its mean and log-variance, each
    /// <c>[B, latent, H/f, W/f]</c>, the log-variance clamped to [−30, 20] as diffusers does.
    /// </summary>
    public (Tensor Mean, Tensor LogVar) Encode(Tensor images)
    {
        using var scope = NewDisposeScope();
        var moments = quant_conv.forward(encoder.forward(images));
        var halves = moments.chunk(2, 1);
        // diffusers' clamp of the log-variance, with rooted Scalars (TensorSum says why).
        using Scalar low = (-30.0).ToScalar(), high = 20.0.ToScalar();
        return (halves[0].MoveToOuterDisposeScope(), halves[1].clamp(low, high).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Images (unclamped, nominally [−1, 1]) from raw latents, i.e. already divided by the scaling factor.
    /// </summary>
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        return decoder.forward(post_quant_conv.forward(latents)).MoveToOuterDisposeScope();
    }

    /// <summary>Reconstructs images through the mean latent.</summary>
    public override Tensor forward(Tensor images)
    {
        var (mean, logVar) = Encode(images);
        using (logVar) return Decode(mean);
    }

    /// <summary>
    /// Copies a diffusers checkpoint (e.g. read from <c>vae/diffusion_pytorch_model.safetensors</c>) into
    /// this model. Names and shapes must match exactly.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Listing missing, unexpected or mis-shaped tensors.</exception>
    public void LoadCheckpoint(IReadOnlyDictionary<string, Tensor> weights) =>
        CheckpointWeights.LoadStrict(this, weights, "VAE checkpoint", []);

    /// <summary>
    /// The checkpoint names and shapes of the VAE <paramref name="config"/> describes, without allocating weights.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> CheckpointShapes(AutoencoderKLConfig config)
    {
        using var model = new AutoencoderKL(config, new Device(DeviceType.META));
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
    }
}
