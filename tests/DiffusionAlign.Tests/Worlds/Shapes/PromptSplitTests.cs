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
    public void HeldOutIsFifteenPromptsAndTrainTheRest()
    {
        // (c + 2s + 3b) % 6 == 0 picks one colour per (shape, background) pair = 16; for b = blue (0),
        // s = triangle (2) it picks c = 2 = blue, which is not a prompt: 15 remain.
        Assert.Equal(15, _split.HeldOut.Count);
        Assert.Equal(77, _split.Train.Count);
        Assert.Empty(_split.Train.Intersect(_split.HeldOut));
        Assert.Equal(_split.All.ToHashSet(), _split.Train.Concat(_split.HeldOut).ToHashSet());
        double fraction = _split.HeldOut.Count / (double)_split.All.Count;
        Assert.InRange(fraction, 0.15, 0.20);
    }

    [Fact]
    public void RuleMatchesHandCheckedPrompts()
    {
        // red=0 circle=0 blue=0 → 0: held out. red circle white: 0+0+3 = 3: train.
        Assert.Contains(ShapesPrompt.Parse("a red circle on a blue background"), _split.HeldOut);
        Assert.Contains(ShapesPrompt.Parse("a red circle on a white background"), _split.Train);
        // orange=5, square=1, white=1: 5+2+3 = 10: train. yellow=3, square=1, black=2: 3+2+6 = 11: train.
        // green=1, cross=3, gray=3: 1+6+9 = 16: train. purple=4, square=1, gray=3: 4+2+9 = 15: train.
        // yellow=3, circle=0, white=1: 3+0+3 = 6: held out.
        Assert.Contains(ShapesPrompt.Parse("a yellow circle on a white background"), _split.HeldOut);
        Assert.Contains(ShapesPrompt.Parse("an orange square on a white background"), _split.Train);
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
    public void EveryPairOfAHeldOutPromptIsSeenInTrain()
    {
        foreach (ShapesPrompt held in _split.HeldOut)
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
