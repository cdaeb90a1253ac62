using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class PromptSplitTests
{
    private readonly PromptSplit _split = new();

    [Fact]
    public void AllHasEveryCombinationExceptBlueOnBlue()
    {
        // 6 colours × 4 shapes × 4 backgrounds, minus the 4 blue-on-blue prompts.
        Assert.Equal(92, _split.All.Count);
        Assert.Equal(92, _split.All.Distinct().Count());
        Assert.DoesNotContain(_split.All,
            p => p.ShapeColour == ShapeColour.Blue && p.Background == BackgroundColour.Blue);
    }

    [Fact]
    public void TestAndValidationAreFifteenPromptsEachAndTrainTheRest()
    {
        // (c + 2s + 3b) % 6 == k picks one colour per (shape, background) pair = 16; for k = 0 and b = blue (0),
        // s = triangle (2) it picks c = 2 = blue, which is not a prompt: 15 remain. Likewise for k = 4.
        Assert.Equal(15, _split.HeldOut.Count);
        Assert.Equal(15, _split.Validation.Count);
        Assert.Equal(62, _split.Train.Count);
        Assert.Empty(_split.Train.Intersect(_split.HeldOut));
        Assert.Empty(_split.Train.Intersect(_split.Validation));
        Assert.Empty(_split.Validation.Intersect(_split.HeldOut));
        Assert.Equal(_split.All.ToHashSet(),
            _split.Train.Concat(_split.Validation).Concat(_split.HeldOut).ToHashSet());
        Assert.Same(_split.Validation, _split.Of(PromptSet.Validation));
        Assert.Same(_split.HeldOut, _split.Of(PromptSet.Test));
    }

    [Fact]
    public void RuleMatchesHandCheckedPrompts()
    {
        // red=0 circle=0 blue=0 → 0: test. red circle white: 0+0+3 = 3: train.
        Assert.Contains(ShapesPrompt.Parse("a red circle on a blue background"), _split.HeldOut);
        Assert.Contains(ShapesPrompt.Parse("a red circle on a white background"), _split.Train);
        // yellow=3, circle=0, white=1: 3+0+3 = 6: test. orange=5, square=1, white=1: 5+2+3 = 10 → 4: validation.
        // green=1, cross=3, gray=3: 1+6+9 = 16 → 4: validation. yellow=3, square=1, black=2: 3+2+6 = 11: train.
        Assert.Contains(ShapesPrompt.Parse("a yellow circle on a white background"), _split.HeldOut);
        Assert.Contains(ShapesPrompt.Parse("an orange square on a white background"), _split.Validation);
        Assert.Contains(ShapesPrompt.Parse("a green cross on a gray background"), _split.Validation);
        Assert.Contains(ShapesPrompt.Parse("a yellow square on a black background"), _split.Train);
    }

    [Fact]
    public void EveryWordStillOccursInTrain()
    {
        Assert.Equal(Enum.GetValues<ShapeColour>().ToHashSet(), _split.Train.Select(p => p.ShapeColour).ToHashSet());
        Assert.Equal(Enum.GetValues<ShapeKind>().ToHashSet(), _split.Train.Select(p => p.Shape).ToHashSet());
        Assert.Equal(Enum.GetValues<BackgroundColour>().ToHashSet(),
            _split.Train.Select(p => p.Background).ToHashSet());
    }

    [Fact]
    public void EveryPairOfAValidationOrTestPromptIsSeenInTrain()
    {
        foreach (ShapesPrompt held in _split.HeldOut.Concat(_split.Validation))
        {
            Assert.Contains(_split.Train, p => p.ShapeColour == held.ShapeColour && p.Shape == held.Shape);
            Assert.Contains(_split.Train, p => p.Shape == held.Shape && p.Background == held.Background);
            Assert.Contains(_split.Train, p => p.ShapeColour == held.ShapeColour && p.Background == held.Background);
        }
    }

    [Fact]
    public void EnumerationIsDeterministic()
    {
        Assert.Equal(_split.All, new PromptSplit().All);
        Assert.Equal(_split.HeldOut, new PromptSplit().HeldOut);
        Assert.Equal("a red circle on a blue background", _split.All[0].ToString());
        Assert.Equal("an orange cross on a gray background", _split.All[^1].ToString());
    }
}
