using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Training;

/// <summary>
/// The forward half of one alignment step on a micro-batch of pairs, in the order of the body of
/// diffusers' <c>train_diffusion_dpo.py</c> loop (docs/method.md, "A training batch of pairs"):
/// <list type="number">
/// <item>the winners then the losers, <c>[x_w ; x_l]</c> on the batch axis: pixels, or for a latent model
/// latents drawn from the VAE's distribution of the images, times its scaling factor;</item>
/// <item>one timestep t and one noise ε per pair, shared by its winner and loser;</item>
/// <item>the noisy images <c>x_t</c>, the regression target (ε, or v) and the prompt states;</item>
/// <item>the frozen reference's prediction, under inference mode (no autograd graph): a frozen copy of the
/// starting model, or the policy itself with its LoRA adapters disabled;</item>
/// <item>the policy's prediction, with autograd;</item>
/// <item>the objective: loss and metrics.</item>
/// </list>
/// Every draw comes from <see cref="StepSeeds"/> for (run seed, micro-batch), so a resumed run
/// repeats a step exactly. <see cref="PreferenceTrainer"/> runs backward and the optimizer.
/// </summary>
public static class PreferenceStep
{
    /// <summary>
    /// The UNet inputs of a micro-batch: noisy images, timesteps, prompt states and regression
    /// targets, winners first, then losers (each half in the batch's pair order).
    /// </summary>
    public sealed record Inputs(Tensor Noisy, Tensor Timesteps, Tensor Text, Tensor Target)
    {
        /// <summary>The winners' half, for objectives that read only winners.</summary>
        public Inputs Winners()
        {
            long b = Noisy.shape[0] / 2;
            return new Inputs(Noisy.narrow(0, 0, b), Timesteps.narrow(0, 0, b), Text.narrow(0, 0, b),
                Target.narrow(0, 0, b));
        }
    }

    /// <summary>
    /// Loss and metrics of <paramref name="objective"/> on one micro-batch, with the graph for backward.
    /// </summary>
    public static ObjectiveOutput Run(
        TextToImageModel policy, TextToImageModel? reference, IPreferenceObjective objective,
        IReadOnlyList<PreferencePair> batch, AlignConfig config, long micro, BatchShard? shard = null) =>
        Run(policy, reference, objective, NoisyPairs(policy, batch, config, micro, shard));

    /// <summary>The same on pairs from a latent cache.</summary>
    public static ObjectiveOutput Run(
        TextToImageModel policy, TextToImageModel? reference, IPreferenceObjective objective,
        LatentPairCache cache, IReadOnlyList<int> indices, AlignConfig config, long micro,
        BatchShard? shard = null) =>
        Run(policy, reference, objective, NoisyPairs(policy, cache, indices, config, micro, shard));

    /// <summary>Steps 4–6 on the noised pairs.</summary>
    public static ObjectiveOutput Run(
        TextToImageModel policy, TextToImageModel? reference, IPreferenceObjective objective, Inputs inputs)
    {
        if (objective.NeedsReference && reference is null)
            throw new ArgumentNullException(nameof(reference), $"{objective.Name} needs the frozen reference");
        if (objective.Input == ObjectiveInput.WinnersOnly) inputs = inputs.Winners();
        // Reference first: its activations are transient, and freeing them before the policy's
        // kept activations exist lowers the step's peak memory by the reference's working set.
        var referencePrediction = objective.NeedsReference ? ReferencePrediction(reference!, inputs) : null;
        var prediction = policy.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
        return objective.Compute(prediction, referencePrediction, inputs.Target);
    }

    /// <summary>
    /// Steps 1–3: the noised pair batch of micro-batch <paramref name="micro"/>, or of the <paramref name="shard"/>
    /// of it that <paramref name="batch"/> holds (with the draws the whole micro-batch would give these pairs).
    /// </summary>
    public static Inputs NoisyPairs(TextToImageModel policy, IReadOnlyList<PreferencePair> batch, AlignConfig config,
        long micro, BatchShard? shard = null)
    {
        var part = Part(shard, batch.Count);
        var (prompts, flips) = Augmentation(batch.Select(p => p.Prompt).ToList(), config, micro, part);
        var images = batch.Select((p, i) => flips[i] ? p.Winner.Mirrored() : p.Winner)
            .Concat(batch.Select((p, i) => flips[i] ? p.Loser.Mirrored() : p.Loser)).ToList();
        using var latentGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Latents);
        var pixels = ImageTensors.ToTensor(images);
        Tensor x0;
        // A pixel model draws nothing here; a latent one draws ε for every image of the micro-batch.
        if (part.IsWhole || policy.Vae is null) x0 = policy.TrainingSamples(pixels, latentGen);
        else
        {
            var (mean, logVar) = policy.LatentMoments(pixels);
            x0 = ShardLatents(policy, mean, logVar, latentGen, part);
        }
        return Noised(policy, x0, prompts, config, micro, part);
    }

    /// <summary>
    /// Steps 1–3 from a latent cache: the same prompts, flips and latent draws as from the images it encodes.
    /// </summary>
    public static Inputs NoisyPairs(TextToImageModel policy, LatentPairCache cache, IReadOnlyList<int> indices,
        AlignConfig config, long micro, BatchShard? shard = null)
    {
        var part = Part(shard, indices.Count);
        var (prompts, flips) = Augmentation(indices.Select(cache.Prompt).ToList(), config, micro, part);
        var (mean, logVar) = cache.Moments(indices, flips, policy.Device);
        using var latentGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Latents);
        var x0 = part.IsWhole
            ? policy.LatentSample(mean, logVar, latentGen)
            : ShardLatents(policy, mean, logVar, latentGen, part);
        return Noised(policy, x0, prompts, config, micro, part);
    }

    private static BatchShard Part(BatchShard? shard, int count)
    {
        var part = shard ?? BatchShard.Whole(count);
        if (part.Count != count)
            throw new ArgumentException($"the shard holds {part.Count} pairs, the batch {count}", nameof(shard));
        return part;
    }

    /// <summary>The shard's latents: ε drawn for all 2 × GlobalCount images, this shard's rows kept.</summary>
    private static Tensor ShardLatents(TextToImageModel policy, Tensor mean, Tensor logVar, Generator generator,
        BatchShard shard)
    {
        long[] shape = [2L * shard.GlobalCount, .. mean.shape.Skip(1)];
        var eps = shard.WinnersThenLosers(randn(shape, generator: generator, device: generator.device));
        return policy.LatentSample(mean, logVar, eps);
    }

    /// <summary>
    /// The papers' augmentation: prompts dropped to "" and pairs flipped, drawn per micro-batch (for all its pairs,
    /// in order; the shard's are kept).
    /// </summary>
    private static (List<string> Prompts, IReadOnlyList<bool> Flips) Augmentation(List<string> prompts,
        AlignConfig config, long micro, BatchShard shard)
    {
        var dropout = StepSeeds.Managed(config.Seed, micro, StepSeeds.Stream.Dropout);
        var flip = StepSeeds.Managed(config.Seed, micro, StepSeeds.Stream.Flip);
        var drop = shard.Pairs(Enumerable.Range(0, shard.GlobalCount)
            .Select(_ => dropout.NextDouble() < config.PromptDropout).ToList());
        var flips = shard.Pairs(Enumerable.Range(0, shard.GlobalCount)
            .Select(_ => config.RandomFlip && flip.NextDouble() < 0.5).ToList());
        var kept = prompts.Select((p, i) => drop[i] ? "" : p).ToList();
        return (kept, flips);
    }

    /// <summary>One (t, ε) per pair shared by winner and loser; noisy samples, targets and prompt states.</summary>
    private static Inputs Noised(TextToImageModel policy, Tensor x0, IReadOnlyList<string> prompts,
        AlignConfig config, long micro, BatchShard shard)
    {
        int g = shard.GlobalCount;
        using var tGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Timesteps);
        using var nGen = StepSeeds.Torch(config.Seed, micro, StepSeeds.Stream.Noise);
        var t = shard.Rows(policy.Schedule.SampleTimesteps(g, tGen)).to(policy.Device);
        var noise = shard.Rows(randn(new long[] { g, x0.shape[1], x0.shape[2], x0.shape[3] }, generator: nGen))
            .to(policy.Device);
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
        return new Inputs(noisy, t2, text, target);
    }

    /// <summary>
    /// Step 4: the frozen reference's prediction, computed without an autograd graph. Adapters are off, so a
    /// LoRA policy passed as its own reference computes as its base model.
    /// </summary>
    public static Tensor ReferencePrediction(TextToImageModel reference, Inputs inputs) =>
        WithoutGraph(() =>
        {
            using var off = reference.AdaptersDisabled();
            return reference.Predict(inputs.Noisy, inputs.Timesteps, inputs.Text);
        });

    /// <summary>
    /// Runs <paramref name="forward"/> under inference mode (no autograd graph, no version counters) and
    /// returns its output as an ordinary tensor that the loss may use.
    /// </summary>
    public static Tensor WithoutGraph(Func<Tensor> forward)
    {
        Tensor prediction;
        using (inference_mode(true)) prediction = forward();
        // An inference tensor may not be saved for backward by the loss's ops; a clone made outside
        // inference mode is an ordinary tensor (a copy of 2B predictions, negligible).
        using (prediction) return prediction.clone();
    }
}
