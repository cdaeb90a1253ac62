using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// The UNet inputs of one micro-batch of pairs: winners then losers on the batch axis, noised
/// with the same t and ε within a pair (REFERENCE.md), prompt states repeated for both halves.
/// All draws come from <see cref="StepSeeds"/> for (seed, micro-batch), so a resumed run and a
/// benchmark see the same batches.
/// </summary>
public sealed record PairInputs(Tensor Noisy, Tensor Timesteps, Tensor Text, Tensor Target)
{
    public static PairInputs Build(TextToImageModel policy, IReadOnlyList<PreferencePair> batch, AlignConfig config, long micro)
    {
        int b = batch.Count;
        var dropout = StepSeeds.Managed(config.Seed, micro, StepSeeds.Stream.Dropout);
        var flip = StepSeeds.Managed(config.Seed, micro, StepSeeds.Stream.Flip);
        var prompts = batch.Select(p => dropout.NextDouble() < config.PromptDropout ? "" : p.Prompt).ToList();
        var flips = batch.Select(_ => config.RandomFlip && flip.NextDouble() < 0.5).ToArray();
        var images = batch.Select((p, i) => Flip(p.Winner, flips[i])).Concat(batch.Select((p, i) => Flip(p.Loser, flips[i]))).ToList();
        var x0 = ImageTensors.ToTensor(images).to(policy.Device);

        using var tGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Timesteps);
        using var nGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Noise);
        var t = policy.Schedule.SampleTimesteps(b, tGen).to(policy.Device);
        var noise = randn(new long[] { b, x0.shape[1], x0.shape[2], x0.shape[3] }, generator: nGen).to(policy.Device);
        var t2 = cat(new[] { t, t }, 0);
        var noise2 = cat(new[] { noise, noise }, 0);
        var noisy = policy.Schedule.AddNoise(x0, noise2, t2);
        var target = policy.Schedule.TrainingTarget(x0, noise2, t2);

        Tensor text;
        using (no_grad())
        {
            var states = policy.EncodeText(prompts);
            text = cat(new[] { states, states }, 0);
        }
        return new PairInputs(noisy, t2, text, target);
    }

    private static RgbImage Flip(RgbImage image, bool flip)
    {
        if (!flip) return image;
        var result = new RgbImage(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                for (int c = 0; c < 3; c++)
                    result[x, y, c] = image[image.Width - 1 - x, y, c];
        return result;
    }
}
