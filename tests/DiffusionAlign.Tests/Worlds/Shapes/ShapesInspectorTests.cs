using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesInspectorTests
{
    private readonly ShapesRenderer _renderer = new();
    private readonly ShapesInspector _inspector = new();

    [Fact]
    public void ReadsBackEveryCleanRender()
    {
        foreach (ShapesPrompt prompt in new PromptSplit().All)
            for (int seed = 0; seed < 3; seed++)
            {
                ShapesInspection seen =
                    _inspector.Inspect(_renderer.Render(_renderer.SampleParams(prompt, new Random(seed), 0)));
                Assert.True(seen.Matches(prompt), $"{prompt} seed {seed}: saw {seen}");
            }
    }

    [Fact]
    public void ReportsWhatIsDrawnNotWhatWasAsked()
    {
        var prompt = ShapesPrompt.Parse("a red circle on a white background");
        var drawn = RenderParams.Ideal(prompt) with
        {
            Shape = ShapeKind.Triangle,
            ShapeRgb = ShapesVocabulary.Colour(ShapeColour.Purple),
            BackgroundRgb = ShapesVocabulary.Colour(BackgroundColour.Gray),
        };
        ShapesInspection seen = _inspector.Inspect(_renderer.Render(drawn));
        Assert.Equal(ShapeKind.Triangle, seen.Shape);
        Assert.Equal(ShapeColour.Purple, seen.ShapeColour);
        Assert.Equal(BackgroundColour.Gray, seen.Background);
        Assert.False(seen.Matches(prompt));
        Assert.Equal(128 / 255.0, seen.BackgroundRgb.G, 0.01);
    }
}
