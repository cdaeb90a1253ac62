using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Models;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Tests;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench.Tests;

/// <summary>
/// Every setting of a performance lever must compute the trainer's step: same loss, same
/// gradients, up to float rounding. Otherwise the benchmark would compare different work.
/// </summary>
public sealed class StepVariantTests
{
    private static (float Loss, float[] Gradient) Step(TextToImageModel start, StepExecution? execution,
        AttentionKernel kernel, bool channelsLast, AlignMethod method)
    {
        using var scope = NewDisposeScope();
        using var policy = start.Copy();
        using var reference = start.Copy();
        reference.Freeze();
        foreach (var model in new[] { policy, reference })
        {
            model.Unet.UseAttentionKernel(kernel);
            model.Unet.UseChannelsLast(channelsLast);
        }
        var config = AlignConfig.DefaultsFor(method) with { Seed = 4 };
        var objective = config.CreateObjective();
        var pairs = new PreferenceDataset(ShapesPairGenerator.CleanVersusFlawed(new ShapesWorld(), 3, 16, seed: 3));
        var batch = pairs.ToList();
        ObjectiveOutput output;
        if (execution is null)
        {
            output = PreferenceStep.Run(policy, reference, objective, batch, config, micro: 0);
        }
        else
        {
            var inputs = PreferenceStep.NoisyPairs(policy, batch, config, micro: 0);
            var referencePrediction = execution.ReferencePrediction(reference, inputs);
            var prediction = execution.PolicyPrediction(policy, inputs);
            output = objective.Compute(prediction, referencePrediction, inputs.Target);
        }
        output.Loss.backward();
        var gradient = policy.Unet.parameters().Select(p => p.grad!.contiguous().view(-1)).ToList();
        return (output.Loss.item<float>(), cat(gradient, 0).data<float>().ToArray());
    }

    public static TheoryData<ReferenceMode, bool, AttentionKernel, bool> Settings() => new()
    {
        { ReferenceMode.InferenceMode, true, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.NoGrad, true, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.Graph, true, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.InferenceMode, false, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.InferenceMode, true, AttentionKernel.MatmulSoftmax, false },
        { ReferenceMode.InferenceMode, true, AttentionKernel.ScaledDotProduct, true },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void EveryLeverSettingComputesTheTrainersDspoAndDpoStep(ReferenceMode reference, bool batched,
        AttentionKernel kernel, bool channelsLast)
    {
        // One model, copied: seeding twice would race other tests on LibTorch's global generator.
        using var start = TestModels.Micro(seed: 2);
        foreach (var method in new[] { AlignMethod.Dspo, AlignMethod.Dpo })
        {
            var trainer = Step(start, null, AttentionKernel.ScaledDotProduct, channelsLast: false, method);
            var other = Step(start, new StepExecution(reference, batched), kernel, channelsLast, method);

            Assert.Equal(trainer.Loss, other.Loss, 1e-4f * Math.Max(1f, Math.Abs(trainer.Loss)));
            double scale = trainer.Gradient.Max(Math.Abs);
            Assert.True(scale > 0, "the step must produce a gradient");
            double worst = trainer.Gradient.Zip(other.Gradient, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-3 * scale,
                $"{method}: gradients differ by {worst:E2} (largest component {scale:E2})");
        }
    }
}
