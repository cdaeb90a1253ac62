// Opens what `dalign sample` and `dalign eval` accept as a model: a model folder of any kind, or a mixture folder.
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Mixing;

/// <summary>Loads a noise predictor from a folder: a policy mixture or a single model.</summary>
public static class PolicyFolder
{
    /// <summary>
    /// A mixture folder (<see cref="MixtureFolder"/>) as a <see cref="PolicyMixture"/>, anything else as
    /// <see cref="TextToImageModel.Load"/> reads it.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The folder or its files are missing or malformed.</exception>
    public static INoisePredictor Load(string dir, Device? device = null) =>
        MixtureFolder.IsMixtureFolder(dir) ? MixtureFolder.Load(dir, device) : TextToImageModel.Load(dir, device);
}
