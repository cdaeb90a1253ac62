using DiffusionAlign.Evaluation;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Evaluation;

public sealed class EvaluationPromptsTests
{
    private readonly PromptSplit _split = new ShapesWorld().Split;

    [Fact]
    public void EachPromptOfTheSetIsUsedOnceAndAskingForMoreIsCappedNotCycled()
    {
        var plan = EvaluationPrompts.Select(_split, new EvaluationConfig(Prompts: 16, Seeds: 3));

        Assert.Equal(15, _split.HeldOut.Count);
        Assert.Equal(_split.HeldOut, plan.Prompts);
        Assert.True(plan.Capped);
        Assert.Equal((16, 3, 45), (plan.Requested, plan.Seeds, plan.Samples.Count));
        Assert.Equal(15, plan.Samples.Distinct().Count());
    }

    [Fact]
    public void SamplesArePromptMajorSoSampleIndexFixesPromptAndNoise()
    {
        var plan = EvaluationPrompts.Select(_split, new EvaluationConfig(Prompts: 4, Seeds: 3));

        Assert.False(plan.Capped);
        Assert.Equal(_split.HeldOut.Take(4), plan.Prompts);
        for (int i = 0; i < plan.Samples.Count; i++) Assert.Equal(plan.Prompts[i / 3], plan.Samples[i]);
        var byPrompt = plan.ByPrompt([.. Enumerable.Range(0, 12).Select(i => (double)i)]);
        Assert.Equal([[0.0, 1, 2], [3.0, 4, 5], [6.0, 7, 8], [9.0, 10, 11]], byPrompt);
    }

    [Fact]
    public void TheValidationSetCanBeChosenAndIsDisjointFromTest()
    {
        var plan = EvaluationPrompts.Select(
            _split, new EvaluationConfig(Prompts: 100, Seeds: 1, PromptSet: PromptSet.Validation));

        Assert.Equal(PromptSet.Validation, plan.Set);
        Assert.Equal(_split.Validation, plan.Prompts);
        Assert.Empty(plan.Prompts.Intersect(_split.HeldOut));
        Assert.Equal("validation", EvaluationPrompts.Name(plan.Set));
        Assert.Equal("test", EvaluationPrompts.Name(PromptSet.Test));
    }
}
