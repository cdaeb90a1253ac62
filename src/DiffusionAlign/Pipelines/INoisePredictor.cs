// What sampling and evaluation need from a model: prompts in, noise predictions out, and the shapes around them.
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using static TorchSharp.torch;

namespace DiffusionAlign.Pipelines;

/// <summary>
/// A text-conditioned noise predictor: the part of a diffusion model that DDIM sampling (with classifier-free
/// guidance), denoising-error ranking and evaluation use. A <see cref="TextToImageModel"/> is one; a
/// <see cref="Mixing.PolicyMixture"/> of several models is another, so every sampler and evaluator takes either.
/// </summary>
public interface INoisePredictor : IDisposable
{
    Device Device { get; }

    /// <summary>The noise schedule the predictions belong to (and the prediction type, ε or v).</summary>
    NoiseSchedule Schedule { get; }

    /// <summary>Turns prompts into ids; a prompt it refuses cannot be sampled.</summary>
    ITextTokenizer Tokenizer { get; }

    /// <summary>Side of the square images the model generates natively, in pixels.</summary>
    int ImageSize { get; }

    /// <summary>Whether samples are VAE latents (decoded by <see cref="ToImages"/>) rather than pixels.</summary>
    bool IsLatent { get; }

    /// <summary>
    /// The shape of one sample for images of <paramref name="height"/> × <paramref name="width"/> pixels (the
    /// native size when null).
    /// </summary>
    long[] SampleShape(int? height = null, int? width = null);

    /// <summary>
    /// The conditioning <see cref="Predict"/> takes for the prompts, batch first: callers may concatenate or slice
    /// it along dimension 0 (e.g. [unconditional; conditional] for guidance), nothing else.
    /// </summary>
    Tensor EncodeText(IReadOnlyList<string> prompts);

    /// <summary>
    /// The prediction (ε or v, per <see cref="Schedule"/>) for noisy samples at <paramref name="timesteps"/>, one
    /// row of <paramref name="textStates"/> each, in float32.
    /// </summary>
    Tensor Predict(Tensor noisy, Tensor timesteps, Tensor textStates);

    /// <summary>Images in [−1, 1] <c>[B, 3, H, W]</c> from denoised samples.</summary>
    Tensor ToImages(Tensor samples);

    /// <summary>What held-out images are scored as when ranking pairs by denoising error (pixels or latents).</summary>
    Tensor EvaluationSamples(Tensor images);

    /// <summary>Stops gradients and switches to inference mode.</summary>
    void Freeze();
}
