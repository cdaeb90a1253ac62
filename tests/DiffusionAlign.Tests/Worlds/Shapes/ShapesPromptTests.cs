using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesPromptTests
{
    [Fact]
    public void ToStringFollowsTheGrammarWithAnBeforeOrange()
    {
        Assert.Equal("a red circle on a blue background",
            new ShapesPrompt(ShapeColour.Red, ShapeKind.Circle, BackgroundColour.Blue).ToString());
        Assert.Equal("an orange cross on a white background",
            new ShapesPrompt(ShapeColour.Orange, ShapeKind.Cross, BackgroundColour.White).ToString());
        Assert.Equal("a purple triangle on a gray background",
            new ShapesPrompt(ShapeColour.Purple, ShapeKind.Triangle, BackgroundColour.Gray).ToString());
    }

    [Fact]
    public void EveryPromptRoundTripsThroughItsText()
    {
        foreach (ShapesPrompt prompt in new PromptSplit().All)
            Assert.Equal(prompt, ShapesPrompt.Parse(prompt.ToString()));
    }

    [Fact]
    public void ParseIgnoresCaseAndExtraWhitespace()
    {
        var expected = new ShapesPrompt(ShapeColour.Yellow, ShapeKind.Square, BackgroundColour.Black);
        Assert.Equal(expected, ShapesPrompt.Parse("  A   YELLOW Square\ton a  black BACKGROUND \n"));
        Assert.Equal(expected, ShapesPrompt.Parse("an yellow square on an black background"));
    }

    [Fact]
    public void UnknownColourIsNamedWithTheValidColours()
    {
        var e = Assert.Throws<DiffusionAlignException>(() => ShapesPrompt.Parse("a pink circle on a blue background"));
        Assert.Contains("'pink'", e.Message);
        Assert.Contains("red, green, blue, yellow, purple, orange", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void EveryBadWordIsNamedInOneLine()
    {
        var e = Assert.Throws<DiffusionAlignException>(
            () => ShapesPrompt.Parse("a red hexagon under a green background"));
        Assert.Contains("'hexagon'", e.Message);
        Assert.Contains("circle, square, triangle, cross", e.Message);
        Assert.Contains("'under'", e.Message);
        Assert.Contains("'green'", e.Message);
        Assert.Contains("blue, white, black, gray", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("a red circle")]
    [InlineData("")]
    [InlineData("a red circle on a blue background please")]
    public void WrongWordCountIsRejected(string text)
    {
        var e = Assert.Throws<DiffusionAlignException>(() => ShapesPrompt.Parse(text));
        Assert.Contains("7 words", e.Message);
    }

    [Fact]
    public void SameShapeAndBackgroundColourIsNotAPrompt()
    {
        Assert.Throws<DiffusionAlignException>(() => ShapesPrompt.Parse("a blue circle on a blue background"));
        Assert.Throws<DiffusionAlignException>(
            () => new ShapesPrompt(ShapeColour.Blue, ShapeKind.Cross, BackgroundColour.Blue));
    }

    [Fact]
    public void UndefinedEnumValuesAreRejected()
    {
        Assert.Throws<DiffusionAlignException>(
            () => new ShapesPrompt((ShapeColour)17, ShapeKind.Cross, BackgroundColour.Blue));
    }
}
