using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

public sealed class FlatAdamWTests
{
    private static readonly AdamWSettings Settings = new(LearningRate: 1e-2, WeightDecay: 0.1);

    /// <summary>The SFT loss of the model on a fixed micro-batch (no reference needed).</summary>
    private static Tensor Loss(TextToImageModel model, int micro)
    {
        var pairs = PreferenceTrainerTests.RendererPairs(4);
        var config = AlignConfig.DefaultsFor(AlignMethod.Sft) with { Seed = 2 };
        var batch = Enumerable.Range(0, 4).Select(i => pairs[i]).ToList();
        return PreferenceStep.Run(model, null, new SftLoss(), batch, config, micro).Loss;
    }

    private static float[] Flat(TextToImageModel model) =>
        cat(model.Unet.parameters().Select(p => p.detach().contiguous().view(-1)).ToList(), 0).data<float>().ToArray();

    private static void TrainFlat(TextToImageModel model, FlatAdamW optimizer, int fromStep, int steps, double clip)
    {
        for (int step = fromStep; step < fromStep + steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            Loss(model, step).backward();
            optimizer.ClipGradNorm(clip).Dispose();
            optimizer.Step();
        }
    }

    [Theory]
    [InlineData(1.0)]   // the trainer's clip; gradients of this loss stay below it
    [InlineData(1e-3)]  // clips every step
    public void MatchesTorchSharpAdamWWithClipGradNorm(double clip)
    {
        using var start = TestModels.Micro(seed: 3);
        using var a = start.Copy();
        using var b = start.Copy();
        var parametersA = a.Unet.parameters().ToList();
        using (var optimizerA = optim.AdamW(parametersA, Settings.LearningRate, Settings.Beta1, Settings.Beta2,
            Settings.Epsilon, Settings.WeightDecay))
        {
            for (int step = 0; step < 4; step++)
            {
                using var scope = NewDisposeScope();
                optimizerA.zero_grad();
                Loss(a, step).backward();
                nn.utils.clip_grad_norm_(parametersA, clip);
                optimizerA.step();
            }
        }
        using (var optimizerB = new FlatAdamW(b.Unet.parameters().ToList(), Settings))
            TrainFlat(b, optimizerB, 0, 4, clip);

        float[] before = Flat(start), expected = Flat(a), actual = Flat(b);
        double moved = expected.Zip(before).Max(x => Math.Abs(x.First - x.Second));
        Assert.True(moved > 1e-3, $"training should move the weights (moved {moved})");
        double diff = expected.Zip(actual).Max(x => Math.Abs(x.First - x.Second));
        Assert.True(diff < 1e-5, $"flat AdamW differs from TorchSharp's by {diff}");
    }

    [Fact]
    public void GradientsAreViewsOfTheFlatBufferAndAccumulate()
    {
        using var model = TestModels.Micro(seed: 4).Copy();
        var parameters = model.Unet.parameters().ToList();
        using var optimizer = new FlatAdamW(parameters, Settings);
        Assert.Equal(parameters.Sum(p => p.numel()), optimizer.Count);

        using (NewDisposeScope()) Loss(model, 0).backward();
        var once = parameters.Select(p => p.grad!.clone().MoveToOuterDisposeScope()).ToList();
        using (NewDisposeScope()) Loss(model, 0).backward();
        for (int i = 0; i < parameters.Count; i++)
            Assert.True(parameters[i].grad!.allclose(once[i] * 2, rtol: 1e-5, atol: 1e-8),
                $"parameter {i}: second backward did not add to the first");
        Assert.Contains(once, g => g.abs().max().item<float>() > 0);

        optimizer.ZeroGrad(); // zeroes the buffer autograd wrote into, so the parameters' gradients are its views
        Assert.All(parameters, p => Assert.Equal(0f, p.grad!.abs().max().item<float>()));
        foreach (var g in once) g.Dispose();
    }

    [Fact]
    public void ResumingFromSavedStateContinuesExactly()
    {
        using var start = TestModels.Micro(seed: 5);
        using var straight = start.Copy();
        using (var optimizer = new FlatAdamW(straight.Unet.parameters().ToList(), Settings))
            TrainFlat(straight, optimizer, 0, 4, 1.0);

        using var resumed = start.Copy();
        Dictionary<string, Tensor> saved;
        Dictionary<string, Tensor> weights;
        using (var first = start.Copy())
        {
            using var optimizer = new FlatAdamW(first.Unet.parameters().ToList(), Settings);
            TrainFlat(first, optimizer, 0, 2, 1.0);
            saved = optimizer.StateTensors("optimizer.").ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            weights = first.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        }
        using (var optimizer = new FlatAdamW(resumed.Unet.parameters().ToList(), Settings))
        {
            // As the trainer resumes: optimizer first, then weights copied into its views.
            resumed.LoadStateTensors(weights);
            optimizer.LoadState(saved, "optimizer.");
            Assert.Equal(2, optimizer.Steps);
            TrainFlat(resumed, optimizer, 2, 2, 1.0);
        }
        Assert.Equal(Flat(straight), Flat(resumed));
    }

    [Fact]
    public void StateOfAnotherModelIsRefused()
    {
        using var model = TestModels.Micro(seed: 6).Copy();
        using var optimizer = new FlatAdamW(model.Unet.parameters().ToList(), Settings);
        var wrong = new Dictionary<string, Tensor>
        {
            [FlatAdamW.ExpAvgKey] = zeros(optimizer.Count + 1),
            [FlatAdamW.ExpAvgSqKey] = zeros(optimizer.Count),
            [FlatAdamW.StepKey] = tensor(new[] { 3L }),
        };
        var e = Assert.Throws<DiffusionAlignException>(() => optimizer.LoadState(wrong));
        Assert.Contains("exp_avg", e.Message);
        wrong.Remove(FlatAdamW.ExpAvgKey);
        Assert.Throws<DiffusionAlignException>(() => optimizer.LoadState(wrong));
    }

    [Theory]
    [InlineData(-1e-3, 0.9, 0.999, 1e-8, 0.0)]
    [InlineData(1e-3, 1.0, 0.999, 1e-8, 0.0)]
    [InlineData(1e-3, 0.9, -0.1, 1e-8, 0.0)]
    [InlineData(1e-3, 0.9, 0.999, double.NaN, 0.0)]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, -0.01)]
    public void InvalidSettingsAreRefused(double lr, double beta1, double beta2, double eps, double weightDecay) =>
        Assert.Throws<DiffusionAlignException>(() => new AdamWSettings(lr, beta1, beta2, eps, weightDecay).Validate());

    [Fact]
    public void ChannelsLastWeightsKeepTheirLayout()
    {
        using var model = TestModels.Micro(seed: 7).Copy();
        model.Unet.UseChannelsLast(true);
        var conv = model.Unet.parameters().First(p => p.dim() == 4 && p.shape[2] == 3);
        Assert.True(DiffusionAlign.Models.MemoryLayout.IsChannelsLast(conv));
        using var optimizer = new FlatAdamW(model.Unet.parameters().ToList(), Settings);
        Assert.True(DiffusionAlign.Models.MemoryLayout.IsChannelsLast(conv));
    }
}
