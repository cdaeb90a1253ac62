using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Training.Logging;

/// <summary>
/// Samples a model on fixed prompts from initial noise drawn once, laid out as one picture: a row per prompt, a
/// column per noise, the same noise down each column. Rendered at several steps of a run, a cell shows how one
/// (prompt, noise) pair changes as the model trains.
/// </summary>
public sealed class ValidationGrid : IDisposable
{
    private readonly IReadOnlyList<string> _rows;
    private readonly Tensor _noise;
    private readonly SamplingOptions _sampling;
    private readonly long _seed;
    private readonly int _upscale;

    /// <summary>
    /// Draws the grid's noise for <paramref name="model"/>'s sample shape; prompts the model cannot encode are
    /// refused here, before any training.
    /// </summary>
    /// <exception cref="DiffusionAlignException">A prompt with a word the model's tokenizer does not know.</exception>
    public ValidationGrid(TextToImageModel model, IReadOnlyList<string> prompts, int samplesPerPrompt,
        SamplingOptions sampling, long seed, int minimumCellSide = 1)
    {
        if (prompts.Count == 0) throw new ArgumentException("need at least one prompt", nameof(prompts));
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerPrompt, 1);
        sampling.Validate();
        foreach (var prompt in prompts) model.Tokenizer.Encode(prompt);
        Prompts = prompts;
        SamplesPerPrompt = samplesPerPrompt;
        _rows = [.. prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt))];
        _sampling = sampling;
        _seed = seed;
        _upscale = Math.Max(1, minimumCellSide / model.Config.ImageSize);
        using var scope = NewDisposeScope();
        // Noise j for column j of every row: a row differs from the next only by its prompt.
        var columns = TextToImageSampler.InitialNoise(samplesPerPrompt, model.SampleShape(), seed);
        _noise = columns.repeat(prompts.Count, 1, 1, 1).DetachFromDisposeScope();
    }

    /// <summary>The rows' prompts, top to bottom.</summary>
    public IReadOnlyList<string> Prompts { get; }

    public int SamplesPerPrompt { get; }

    /// <summary>
    /// Samples <paramref name="policy"/> (without gradients, its modules in eval mode for the duration) and lays the
    /// images out. The modules' train/eval modes are restored afterwards, and every tensor made is freed.
    /// </summary>
    public RgbImage Render(TextToImageModel policy)
    {
        bool unetTraining = policy.Unet.training, textTraining = policy.TextEncoder.training;
        policy.Unet.eval();
        policy.TextEncoder.eval();
        try
        {
            RgbImage[] images;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var samples = TextToImageSampler.Generate(policy, _rows, _noise, _sampling, _seed);
                images = ImageTensors.ToImages(samples);
            }
            return ImageGrid.Upscale(ImageGrid.Compose(images, SamplesPerPrompt), _upscale);
        }
        finally
        {
            policy.Unet.train(unetTraining);
            policy.TextEncoder.train(textTraining);
        }
    }

    public void Dispose() => _noise.Dispose();
}
