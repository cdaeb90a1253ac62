// A policy mixture samples as the weighted sum of its policies' predictions: vertices and self-mixtures are exact,
// guidance on the mixed pair equals mixing guided predictions, and policies that cannot be mixed are refused.
using DiffusionAlign.Mixing;
using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Worlds.Shapes;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Mixing;

public sealed class PolicyMixtureTests
{
    private static readonly string[] Prompts =
        ["a red circle on a blue background", "a green square on a white background"];

    private static readonly SamplingOptions Options = new(Steps: 4, GuidanceScale: 3.0);

    private static float[] Sample(INoisePredictor model, long seed = 9)
    {
        using var noise = TextToImageSampler.InitialNoise(Prompts.Length, model.SampleShape(), seed);
        using var images = TextToImageSampler.Generate(model, Prompts, noise, Options);
        return images.data<float>().ToArray();
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    [Fact]
    public void AVertexSamplesExactlyAsItsPolicy()
    {
        using var a = TestModels.Micro(seed: 1);
        using var b = TestModels.Micro(seed: 2);
        a.Freeze();
        b.Freeze();
        using var first = new PolicyMixture([("A", a), ("B", b)], MixtureWeights.Normalised([1, 0]));
        using var second = first.WithWeights(MixtureWeights.Normalised([0, 1]));
        var sampledA = Sample(a);
        var sampledB = Sample(b);
        Assert.True(MaxDifference(sampledA, sampledB) > 0.01, "the two policies must sample differently");
        Assert.Equal(sampledA, Sample(first));
        Assert.Equal(sampledB, Sample(second));
    }

    [Fact]
    public void AModelMixedWithItselfSamplesExactlyAsTheModel()
    {
        using var model = TestModels.Micro(seed: 3);
        model.Freeze();
        using var copy = model.Copy();
        copy.Freeze();
        var alone = Sample(model);
        foreach (var weights in new[] { new[] { 0.3, 0.7 }, [0.5, 0.5], [0.9, 0.1] })
        {
            using var mixture = new PolicyMixture([("M", model), ("copy", copy)], MixtureWeights.Normalised(weights));
            Assert.Equal(alone, Sample(mixture));
        }
    }

    [Fact]
    public void GuidanceOnTheMixedPairEqualsMixingEachPolicysGuidedPrediction()
    {
        using var a = TestModels.Micro(seed: 1);
        using var b = TestModels.Micro(seed: 2);
        a.Freeze();
        b.Freeze();
        var weights = MixtureWeights.Normalised([0.35, 0.65]);
        using var mixture = new PolicyMixture([("A", a), ("B", b)], weights);
        using var noise = TextToImageSampler.InitialNoise(Prompts.Length, a.SampleShape(), 9);
        using var viaSampler = TextToImageSampler.Denoise(mixture, Prompts, noise, Options);

        // The other order: each policy guides its own prediction, then the guided predictions are mixed.
        var policies = new[] { a, b };
        var uncond = Enumerable.Repeat("", Prompts.Length).ToList();
        using var scope = NewDisposeScope();
        var texts = policies.Select(p => cat(new[] { p.EncodeText(uncond), p.EncodeText(Prompts) }, 0)).ToArray();
        Tensor GuidedThenMixed(Tensor x, int t)
        {
            using var timestep = t.ToScalar();
            var tIn = full(new long[] { 2 * x.shape[0] }, timestep, dtype: int64);
            Tensor? sum = null;
            for (int i = 0; i < policies.Length; i++)
            {
                var halves = policies[i].Predict(cat(new[] { x, x }, 0), tIn, texts[i]).chunk(2, 0);
                using var w = weights[i].ToScalar();
                var guided = ClassifierFreeGuidance.Combine(halves[0], halves[1], Options.GuidanceScale).mul(w);
                sum = sum is null ? guided : TensorSum.Add(sum, guided);
            }
            return sum!;
        }
        var reference = DenoisingLoop.Run(GuidedThenMixed, noise, new DdimSampler(a.Schedule), Options.Steps);
        using var alone = TextToImageSampler.Denoise(a, Prompts, noise, Options);

        var mixed = viaSampler.data<float>().ToArray();
        // Equal up to float rounding of the two summation orders...
        Assert.True(MaxDifference(mixed, reference.data<float>().ToArray()) < 1e-4);
        // ...while far from either policy alone, so the comparison can tell the orders from a mistake.
        Assert.True(MaxDifference(mixed, alone.data<float>().ToArray()) > 0.01);
    }

    [Fact]
    public void ThePredictionIsTheWeightedSumOfThePolicies()
    {
        using var a = TestModels.Micro(seed: 1);
        using var b = TestModels.Micro(seed: 2);
        using var mixture = new PolicyMixture([("A", a), ("B", b)], MixtureWeights.Normalised([1, 3]));
        mixture.Freeze();
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 16, 16);
        var t = tensor(new long[] { 500, 20 });
        var mixed = mixture.Predict(x, t, mixture.EncodeText(Prompts));
        using Scalar quarter = 0.25.ToScalar(), threeQuarters = 0.75.ToScalar();
        var expected = TensorSum.Add(a.Predict(x, t, a.EncodeText(Prompts)).mul(quarter),
            b.Predict(x, t, b.EncodeText(Prompts)).mul(threeQuarters));
        Assert.True(mixed.sub(expected).abs().max().item<float>() < 1e-5);
        Assert.Equal(new long[] { 2, 2, a.Tokenizer.MaxLength, 16 }, mixture.EncodeText(Prompts).shape);
    }

    [Fact]
    public void PoliciesThatCannotBeMixedAreRefusedInOneLine()
    {
        var world = new ShapesWorld();
        var micro = TestModels.MicroConfig(world);
        using var a = TestModels.Micro(seed: 1);
        using var bigger = TextToImageModel.Create(micro.AtImageSize(32), 2);
        using var otherSchedule = TextToImageModel.Create(
            micro with { Scheduler = micro.Scheduler with { BetaSchedule = BetaSchedule.Linear } }, 3);
        using var wider = TextToImageModel.Create(micro with
        {
            TextEncoder = micro.TextEncoder with { HiddenSize = 32 },
            Unet = micro.Unet with { CrossAttentionDim = 32 },
        }, 4);
        foreach (var (other, fragment) in new[]
                 {
                     (bigger, "must share the sample shape: A samples [3, 16, 16], B [3, 32, 32]"),
                     (otherSchedule, "must share the noise schedule"),
                     (wider, "must share the text encoder's output shape: A gives [10, 16] per prompt, B [10, 32]"),
                     (a, "policy name 'A' given twice"),
                 })
        {
            string name = ReferenceEquals(other, a) ? "A" : "B";
            var e = Assert.Throws<DiffusionAlignException>(() =>
                new PolicyMixture([("A", a), (name, other)], MixtureWeights.Uniform(2)));
            Assert.Contains(fragment, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.Contains("3 mixture weights for 2 policies", Assert.Throws<DiffusionAlignException>(() =>
            new PolicyMixture([("A", a), ("B", a)], MixtureWeights.Uniform(3))).Message);
    }
}
