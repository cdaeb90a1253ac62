using DiffusionAlign.Models;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// Every setting of a performance lever must compute the same step: same predictions, same loss,
/// same gradients, up to float rounding. Otherwise the benchmark would compare different work.
/// </summary>
public sealed class AlignmentStepTests
{
    private static (float Loss, float[] Gradient) Step(DiffusionAlign.Pipelines.TextToImageModel start, StepExecution execution, AttentionKernel kernel, bool channelsLast, AlignMethod method)
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
        var pairs = PreferenceTrainerTests.RendererPairs(3);
        var output = PreferenceTrainer.MicroBatch(policy, reference, PreferenceTrainer.ObjectiveFor(config), Enumerable.Range(0, 3).Select(i => pairs[i]).ToList(), config, micro: 0, execution);
        output.Loss.backward();
        var gradient = policy.Unet.parameters().Select(p => p.grad!.contiguous().view(-1)).ToList();
        return (output.Loss.item<float>(), cat(gradient, 0).data<float>().ToArray());
    }

    public static TheoryData<ReferenceMode, bool, AttentionKernel, bool> Settings() => new()
    {
        { ReferenceMode.NoGrad, true, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.Graph, true, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.InferenceMode, false, AttentionKernel.ScaledDotProduct, false },
        { ReferenceMode.InferenceMode, true, AttentionKernel.MatmulSoftmax, false },
        { ReferenceMode.InferenceMode, true, AttentionKernel.ScaledDotProduct, true },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void EveryLeverSettingComputesTheSameDspoAndDpoStep(ReferenceMode reference, bool batched, AttentionKernel kernel, bool channelsLast)
    {
        // One model, copied: seeding twice would race other tests on LibTorch's global generator.
        using var start = TestModels.Micro(seed: 2);
        foreach (var method in new[] { AlignMethod.Dspo, AlignMethod.Dpo })
        {
            var fast = Step(start, StepExecution.Default, AttentionKernel.ScaledDotProduct, channelsLast: false, method);
            var other = Step(start, new StepExecution(reference, batched), kernel, channelsLast, method);

            Assert.Equal(fast.Loss, other.Loss, 1e-4f * Math.Max(1f, Math.Abs(fast.Loss)));
            double scale = fast.Gradient.Max(Math.Abs);
            Assert.True(scale > 0, "the step must produce a gradient");
            double worst = fast.Gradient.Zip(other.Gradient, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-3 * scale, $"{method}: gradients differ by {worst:E2} (largest component {scale:E2})");
        }
    }

    [Fact]
    public void ChannelsLastRestridesEveryKernelWeightAndCanBeUndone()
    {
        using var model = TestModels.Micro(seed: 2);
        var convs = model.Unet.modules().OfType<TorchSharp.Modules.Conv2d>().Where(c => c.weight!.shape[2] > 1).ToList();
        Assert.NotEmpty(convs);

        model.Unet.UseChannelsLast(true);
        Assert.All(convs, c => Assert.True(MemoryLayout.IsChannelsLast(c.weight!)));

        model.Unet.UseChannelsLast(false);
        Assert.All(convs, c => Assert.True(c.weight!.is_contiguous()));
    }
}
