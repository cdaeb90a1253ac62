// Several diffusion policies sampled as one: the weighted sum of their noise predictions at every step.
using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Mixing;

/// <summary>
/// The log-linear mixture of diffusion policies (MPO's policy mixing): at every denoising step the prediction is
/// <c>ε_mix = Σᵢ wᵢ·εᵢ(x_t, t, prompt)</c>, the weighted sum of the policies' predictions on the same x_t.
/// Why: policies aligned to rewards rᵢ from one reference are <c>πᵢ ∝ π_ref·exp(rᵢ/β)</c>, so with Σ wᵢ = 1 the
/// log-linear mixture <c>Πᵢ πᵢ^wᵢ ∝ π_ref·exp(Σ wᵢrᵢ/β)</c> is the policy aligned to the weighted reward. A
/// prediction is a scaled score (<c>ε = −σ_t∇log p_t</c>), so the weighted sum is the score of
/// <c>Πᵢ p_{i,t}^wᵢ</c> at each noise level: the product of the noised policies, which approximates (not equals)
/// the noised product, as summed scores do in composed diffusion sampling.
/// </summary>
/// <remarks>
/// <para>Guidance: each policy encodes the prompts with its own text encoder (<see cref="EncodeText"/> stacks them,
/// <c>[B, K, L, D]</c>), so the sampler's [unconditional; conditional] batch is mixed half by half with the same
/// weights and classifier-free guidance is applied once, to the mixed pair. Guidance is linear, so this equals
/// mixing each policy's guided prediction: <c>Σ wᵢ(uᵢ + s(cᵢ − uᵢ)) = Σ wᵢuᵢ + s(Σ wᵢcᵢ − Σ wᵢuᵢ)</c>.</para>
/// <para>The sum is computed as <c>ε_a + Σ_{i≠a} wᵢ(εᵢ − ε_a)</c> around the first policy a with weight above 0,
/// which equals Σ wᵢεᵢ because the weights sum to 1, and policies with weight 0 are not run. So a vertex
/// (weights (1, 0)) samples exactly as its policy, and a mixture of one model with itself exactly as the model.
/// Since the weights sum to 1 the same holds for v-prediction: ε and v are affine in each other at fixed x_t.</para>
/// <para>The policies must share the noise schedule, the sample shape and the text states' shape, and use the same
/// tokenizer (<see cref="Tokenizer"/> is the first policy's). A latent mixture decodes with the first policy's VAE.
/// </para>
/// </remarks>
public sealed class PolicyMixture : INoisePredictor
{
    private readonly bool _ownsPolicies;

    /// <param name="policies">The policies, each with a name unique in the mixture (for messages and files).</param>
    /// <param name="weights">One weight per policy.</param>
    /// <param name="ownsPolicies">Dispose the policies with the mixture (a mixture read from a folder does).</param>
    /// <exception cref="DiffusionAlignException">Policies that cannot be mixed (see remarks), or a weight count
    /// other than the policy count.</exception>
    public PolicyMixture(IReadOnlyList<(string Name, TextToImageModel Model)> policies, MixtureWeights weights,
        bool ownsPolicies = false)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(weights);
        CheckCompatible(policies);
        if (weights.Count != policies.Count)
            throw new DiffusionAlignException($"{weights.Count} mixture weights for {policies.Count} policies");
        Names = [.. policies.Select(p => p.Name)];
        Policies = [.. policies.Select(p => p.Model)];
        Weights = weights;
        _ownsPolicies = ownsPolicies;
    }

    /// <summary>The policies' names, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<TextToImageModel> Policies { get; }

    public MixtureWeights Weights { get; }

    /// <summary>The same policies with other weights; the new mixture owns none of them.</summary>
    public PolicyMixture WithWeights(MixtureWeights weights) =>
        new([.. Names.Zip(Policies, (n, m) => (n, m))], weights);

    /// <summary>
    /// Refuses policies a mixture cannot combine, with one line naming the first two that differ.
    /// </summary>
    /// <exception cref="DiffusionAlignException">No policies, a repeated or empty name, or policies that differ in
    /// device, noise schedule, sample shape, tokenizer or text-state shape.</exception>
    public static void CheckCompatible(IReadOnlyList<(string Name, TextToImageModel Model)> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        if (policies.Count == 0) throw new DiffusionAlignException("a mixture needs at least one policy, got none");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in policies)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new DiffusionAlignException("a mixture policy has no name");
            if (!seen.Add(name)) throw new DiffusionAlignException($"policy name '{name}' given twice");
        }
        var (firstName, first) = policies[0];
        foreach (var (name, model) in policies.Skip(1))
        {
            string pair = $"{name}'s differs from {firstName}'s";
            if (model.Device.type != first.Device.type || model.Device.index != first.Device.index)
                throw new DiffusionAlignException($"mixture policies must be on one device: {pair}");
            if (model.Schedule.Config != first.Schedule.Config)
                throw new DiffusionAlignException(
                    $"mixture policies must share the noise schedule (betas, prediction type, spacing): {pair}");
            if (model.IsLatent != first.IsLatent || !model.SampleShape().SequenceEqual(first.SampleShape()))
                throw new DiffusionAlignException(
                    $"mixture policies must share the sample shape: {firstName} samples {Shape(first.SampleShape())}"
                    + $"{Latent(first)}, {name} {Shape(model.SampleShape())}{Latent(model)}");
            if (model.Config.Tokenizer != first.Config.Tokenizer)
                throw new DiffusionAlignException(
                    $"mixture policies must use the same tokenizer: {firstName} uses '{first.Config.Tokenizer}', "
                    + $"{name} '{model.Config.Tokenizer}'");
            if (!TextShape(model).SequenceEqual(TextShape(first)))
                throw new DiffusionAlignException(
                    $"mixture policies must share the text encoder's output shape: {firstName} gives "
                    + $"{Shape(TextShape(first))} per prompt, {name} {Shape(TextShape(model))}");
        }
    }

    public Device Device => Policies[0].Device;

    public NoiseSchedule Schedule => Policies[0].Schedule;

    public ITextTokenizer Tokenizer => Policies[0].Tokenizer;

    public int ImageSize => Policies[0].ImageSize;

    public bool IsLatent => Policies[0].IsLatent;

    public long[] SampleShape(int? height = null, int? width = null) => Policies[0].SampleShape(height, width);

    /// <summary>Every policy's text states for the prompts, side by side: <c>[B, K, L, D]</c>.</summary>
    public Tensor EncodeText(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        return stack(Policies.Select(p => p.EncodeText(prompts)).ToArray(), 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>Σᵢ wᵢ·εᵢ</c> with policy i reading its own slice <c>textStates[:, i]</c> (see <see cref="EncodeText"/>).
    /// </summary>
    public Tensor Predict(Tensor noisy, Tensor timesteps, Tensor textStates)
    {
        if (textStates.dim() != 4 || textStates.shape[1] != Policies.Count)
            throw new ArgumentException(
                $"a mixture of {Policies.Count} policies reads text states [B, {Policies.Count}, L, D], got "
                + Shape(textStates.shape), nameof(textStates));
        using var scope = NewDisposeScope();
        var active = Enumerable.Range(0, Policies.Count).Where(i => Weights[i] > 0).ToList();
        int anchor = active[0];
        var mixed = PolicyPrediction(anchor, noisy, timesteps, textStates);
        foreach (int i in active.Skip(1))
        {
            // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
            using var weight = Weights[i].ToScalar();
            var difference = PolicyPrediction(i, noisy, timesteps, textStates) - mixed;
            mixed = TensorSum.Add(mixed, difference.mul(weight));
        }
        return mixed.MoveToOuterDisposeScope();
    }

    public Tensor ToImages(Tensor samples) => Policies[0].ToImages(samples);

    public Tensor EvaluationSamples(Tensor images) => Policies[0].EvaluationSamples(images);

    public void Freeze()
    {
        foreach (var policy in Policies) policy.Freeze();
    }

    /// <summary>Disposes the policies if the mixture owns them.</summary>
    public void Dispose()
    {
        if (!_ownsPolicies) return;
        foreach (var policy in Policies) policy.Dispose();
    }

    // Contiguous, so a policy computes on exactly the layout its own EncodeText would hand it.
    private Tensor PolicyPrediction(int index, Tensor noisy, Tensor timesteps, Tensor textStates) =>
        Policies[index].Predict(noisy, timesteps, textStates.select(1, index).contiguous());

    private static long[] TextShape(TextToImageModel model) =>
        [model.Tokenizer.MaxLength, model.Config.TextEncoder.HiddenSize];

    private static string Latent(TextToImageModel model) => model.IsLatent ? " latents" : "";

    private static string Shape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
