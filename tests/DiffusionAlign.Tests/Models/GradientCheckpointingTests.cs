using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

// Inputs, targets and dropout masks come from LibTorch's process-wide generator, which tests running in
// parallel would draw from between the two runs compared.
[Collection(GlobalGeneratorCollection.Name)]
public sealed class GradientCheckpointingTests
{
    // Plain and cross-attention blocks on both paths; down block 1 returns its output also as its last skip.
    private static readonly UNet2DConditionConfig Config = UNet2DConditionConfig.Tiny with
    {
        SampleSize = 8,
        BlockOutChannels = [8, 16, 16],
        CrossAttentionDim = 16,
        NormNumGroups = 4,
    };

    [Fact]
    public void CheckpointedTrainingStepGivesTheSameOutputAndGradients()
    {
        using var model = Build(Config);
        var plain = Step(model, checkpointing: false);
        var checkpointed = Step(model, checkpointing: true);

        AssertSame(plain, checkpointed);
        Assert.Equal(model.parameters().Count(), checkpointed.ParameterGrads.Count);
        Assert.Contains(checkpointed.ParameterGrads.Values, g => g.Any(v => v != 0f));
    }

    [Fact]
    public void RepeatedCheckpointedStepsKeepNoState()
    {
        using var model = Build(Config);
        var plain = Step(model, checkpointing: false);

        AssertSame(plain, Step(model, checkpointing: true));
        AssertSame(plain, Step(model, checkpointing: true));
        AssertSame(plain, Step(model, checkpointing: false));
    }

    [Fact]
    public void DropoutDrawsTheSameMasksWhenTheBlocksAreRecomputed()
    {
        using var model = Build(Config with { Dropout = 0.3 });
        var plain = Step(model, checkpointing: false);
        var checkpointed = Step(model, checkpointing: true);
        model.eval();
        var withoutDropout = Step(model, checkpointing: false);

        Assert.NotEqual(withoutDropout.Output, plain.Output);
        AssertSame(plain, checkpointed);
    }

    [Fact]
    public void TrainableBlocksBehindFrozenLayersStillGetTheirGradients()
    {
        // As with a LoRA: nothing entering the blocks requires grad, only parameters inside them do.
        using var model = Build(Config);
        foreach (var (name, parameter) in model.named_parameters())
            if (name.StartsWith("conv_in.") || name.StartsWith("time_embedding.")) parameter.requires_grad_(false);

        var plain = Step(model, checkpointing: false, inputsRequireGrad: false);
        var checkpointed = Step(model, checkpointing: true, inputsRequireGrad: false);

        AssertSame(plain, checkpointed);
        Assert.Contains(checkpointed.ParameterGrads, kv => kv.Key.StartsWith("down_blocks.0."));
    }

    [Fact]
    public void EvaluationAndNoGradForwardsIgnoreCheckpointing()
    {
        using var model = Build(Config);
        using var scope = NewDisposeScope();
        manual_seed(5);
        var sample = randn(2, Config.InChannels, 8, 8);
        var timesteps = tensor(new long[] { 10, 700 });
        var prompt = randn(2, 5, Config.CrossAttentionDim.For(0));

        model.GradientCheckpointing = false;
        var expected = model.forward(sample, timesteps, prompt);
        model.EnableGradientCheckpointing();

        model.eval();
        var evaluated = model.forward(sample, timesteps, prompt);
        model.train();
        Tensor withoutGrad;
        using (no_grad()) withoutGrad = model.forward(sample, timesteps, prompt);
        Tensor inInferenceMode;
        using (inference_mode()) inInferenceMode = model.forward(sample, timesteps, prompt);

        Assert.Equal(ModuleWeights.Values(expected), ModuleWeights.Values(evaluated));
        Assert.Equal(ModuleWeights.Values(expected), ModuleWeights.Values(withoutGrad));
        Assert.Equal(ModuleWeights.Values(expected), ModuleWeights.Values(inInferenceMode));
        Assert.False(withoutGrad.requires_grad);
    }

    [Fact]
    public void RecomputationOnlyMatchesWhenTheRandomStateIsReplayed()
    {
        // Without the replay the recomputed dropout masks differ from the forward's: the guard has teeth.
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var linear = nn.Linear(6, 6);
        using var dropout = nn.Dropout(0.5);
        IReadOnlyList<Tensor> Segment(IReadOnlyList<Tensor> x) => [linear.forward(dropout.forward(x[0])).tanh()];

        float[] Grad(bool checkpointed, bool replay)
        {
            linear.weight!.grad = null;
            manual_seed(7);
            var input = randn(4, 6);
            var output = checkpointed ? GradientCheckpoint.Run(Segment, [input], linear.parameters(), replay)[0]
                : Segment([input])[0];
            rand(8); // the generator moves on before backward, as in a training step
            output.square().sum().backward();
            return ModuleWeights.Values(linear.weight!.grad!);
        }

        var plain = Grad(checkpointed: false, replay: false);
        AssertClose(plain, Grad(checkpointed: true, replay: true), "replayed");
        Assert.NotEqual(plain, Grad(checkpointed: true, replay: false));
    }

    [Fact]
    public void ASegmentReturningOneTensorTwiceGetsBothGradients()
    {
        using var scope = NewDisposeScope();
        var input = tensor(new[] { 1f, 2f, 3f }).requires_grad_(true);
        IReadOnlyList<Tensor> Segment(IReadOnlyList<Tensor> x)
        {
            var squared = x[0].square();
            return [squared, squared];
        }

        var outputs = GradientCheckpoint.Run(Segment, [input], []);
        Assert.Same(outputs[0], outputs[1]);
        // d/dx (sum x² + sum 3x²) = 8x
        outputs[0].sum().add(outputs[1].sum().mul(tensor(3f))).backward();
        Assert.Equal(new[] { 8f, 16f, 24f }, ModuleWeights.Values(input.grad!));
    }

    private sealed record StepResult(
        float[] Output, float[] SampleGrad, float[] PromptGrad, Dictionary<string, float[]> ParameterGrads);

    private static UNet2DConditionModel Build(UNet2DConditionConfig config)
    {
        manual_seed(1);
        var model = new UNet2DConditionModel(config);
        model.train();
        return model;
    }

    private static StepResult Step(
        UNet2DConditionModel model, bool checkpointing, long seed = 3, bool inputsRequireGrad = true)
    {
        using var scope = NewDisposeScope();
        model.GradientCheckpointing = checkpointing;
        foreach (var parameter in model.parameters()) parameter.grad = null;

        manual_seed(seed);
        var sample = randn(2, Config.InChannels, 8, 8).requires_grad_(inputsRequireGrad);
        var prompt = randn(2, 5, Config.CrossAttentionDim.For(0)).requires_grad_(inputsRequireGrad);
        var output = model.forward(sample, tensor(new long[] { 10, 700 }), prompt);
        // The generator moves on before backward, as it would in a training step.
        var target = randn_like(output);
        output.sub(target).square().mean().backward();

        return new StepResult(
            ModuleWeights.Values(output),
            inputsRequireGrad ? ModuleWeights.Values(sample.grad!) : [],
            inputsRequireGrad ? ModuleWeights.Values(prompt.grad!) : [],
            model.named_parameters()
                .Where(p => p.parameter.grad is not null)
                .ToDictionary(p => p.name, p => ModuleWeights.Values(p.parameter.grad!)));
    }

    private static void AssertSame(StepResult expected, StepResult actual)
    {
        AssertClose(expected.Output, actual.Output, "output");
        AssertClose(expected.SampleGrad, actual.SampleGrad, "sample gradient");
        AssertClose(expected.PromptGrad, actual.PromptGrad, "prompt gradient");
        Assert.Equal(expected.ParameterGrads.Keys.Order(), actual.ParameterGrads.Keys.Order());
        foreach (var (name, grad) in expected.ParameterGrads) AssertClose(grad, actual.ParameterGrads[name], name);
    }

    // Relative to the tensor's largest entry, so tiny entries of a large gradient do not fail on rounding.
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Length == 0 ? 0f : expected.Max(MathF.Abs);
        var error = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).DefaultIfEmpty(0f).Max();
        Assert.True(error <= 1e-5f * scale + 1e-12f, $"{what}: max error {error} at scale {scale}");
    }
}
