using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>What every VAE block shares: group count, activation and the VAE's norm ε.</summary>
public sealed record VaeSettings(int Groups, string ActFn)
{
    /// <summary>diffusers builds every VAE norm with ε = 1e-6 (not the UNet's 1e-5).</summary>
    public const double Eps = 1e-6;

    public ResnetBlock2D Resnet(int inChannels, int outChannels, Device? device) =>
        new(inChannels, outChannels, tembChannels: null, Groups, Eps, ActFn, device: device);
}
