using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Cli;

[Collection("Console")]
public sealed class SampleCommandTests
{
    [FixtureFact("diffusers-reference")]
    public void SamplesFromADiffusersPipelineFolder()
    {
        using var dir = new TestModels.TempDir();
        string pipeline = Path.Combine(ReferenceFixtures.Find("diffusers-reference")!, "tiny-sd");
        string path = Path.Combine(dir.Path, "g.png");
        var run = CliRunner.Run("sample", "--model", pipeline, "--prompt", "a photo of a cat", "--steps", "10",
            "--n", "4", "--scale", "1", "--width", "24", "--negative-prompt", "blurry", "--out", path);
        Assert.True(run.Exit == 0, run.Err);
        var grid = ImageCodec.Load(path);
        // Two columns of 24-pixel-wide, 16-pixel-high (native) samples, with 2-pixel gutters and border, under the
        // prompt as a title.
        int title = TitleBand(24, 16, 4, 2, "a photo of a cat");
        Assert.True(title > 0);
        Assert.Equal((2 * 24 + 3 * 2, title + 2 * 16 + 3 * 2), (grid.Width, grid.Height));
    }

    [FixtureFact("diffusers-reference")]
    public void ASizeTheVaeCannotProduceIsAOneLineError()
    {
        using var dir = new TestModels.TempDir();
        string pipeline = Path.Combine(ReferenceFixtures.Find("diffusers-reference")!, "tiny-sd");
        foreach (string height in new[] { "0", "17" })
        {
            var run = CliRunner.Run("sample", "--model", pipeline, "--prompt", "a cat", "--height", height,
                "--out", Path.Combine(dir.Path, "g.png"));
            Assert.Equal(2, run.Exit);
            Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("positive multiples of 2", run.Err);
        }
    }

    [Fact]
    public void TheEmbeddedModelSamplesAtAnAskedSizeToo()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        string path = Path.Combine(dir.Path, "g.png");
        var run = CliRunner.Run("sample", "--model", dir.Path, "--prompt", "a red circle on a blue background",
            "--n", "1", "--steps", "2", "--scale", "1", "--height", "8", "--width", "12", "--out", path);
        Assert.True(run.Exit == 0, run.Err);
        var grid = ImageCodec.Load(path);
        int title = TitleBand(12, 8, 1, 1, "a red circle on a blue background");
        Assert.Equal((12 + 2 * 2, title + 8 + 2 * 2), (grid.Width, grid.Height));
    }

    [Fact]
    public void TheGridIsTitledWithThePromptAndItsCellsAreEnlarged()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string path = Path.Combine(dir.Path, "g.png");
        var run = CliRunner.Run("sample", "--model", model, "--prompt", CliInputs.GoodPrompt, "--n", "2",
            "--steps", "2", "--scale", "4", "--out", path);
        Assert.True(run.Exit == 0, run.Err);
        var grid = ImageCodec.Load(path);
        // Two cells of four times the model's side, padding scaled with them (2 · 4), under a title band.
        int side = (grid.Width - 3 * 8) / 2 / 4;
        var layout = LabelledImageGrid.Measure([new RgbImage(side, side), new RgbImage(side, side)], 2,
            new GridText(Title: CliInputs.GoodPrompt), 4, padding: 8);
        Assert.Equal((layout.Width, layout.Height), (grid.Width, grid.Height));
        Assert.True(layout.TitleHeight > 0);
        int ink = 0;
        for (int y = 0; y < layout.TitleHeight; y++)
            for (int x = 0; x < grid.Width; x++)
                if (grid[x, y, 0] < 0.5f) ink++;
        Assert.True(ink > 20, "the title band holds the prompt");
    }

    /// <summary>Height of the title band over a sample grid of these cells.</summary>
    private static int TitleBand(int width, int height, int n, int columns, string title) =>
        LabelledImageGrid.Measure([.. Enumerable.Range(0, n).Select(_ => new RgbImage(width, height))], columns,
            new GridText(Title: title), 1, padding: 2).TitleHeight;

    [Theory]
    [InlineData("", "--prompt is empty; give a prompt, or --unconditional")]
    [InlineData("   ", "--prompt is empty; give a prompt, or --unconditional")]
    [InlineData(null, "give --prompt TEXT, or --unconditional")]
    public void AnEmptyPromptIsAnErrorUnlessUnconditional(string? prompt, string expected)
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        string path = Path.Combine(dir.Path, "g.png");
        string[] common = ["sample", "--model", model, "--n", "1", "--steps", "2", "--out", path];
        var run = CliRunner.Run(prompt is null ? common : [.. common, "--prompt", prompt]);
        CliAssert.OneLineError(run, expected);
        Assert.False(File.Exists(path));

        var unconditional = CliRunner.Run([.. common, "--unconditional"]);
        Assert.True(unconditional.Exit == 0, unconditional.Err);
        Assert.Contains("1 unconditional samples", unconditional.Err);
        Assert.True(File.Exists(path));

        var both = CliRunner.Run([.. common, "--unconditional", "--prompt", CliInputs.GoodPrompt]);
        CliAssert.OneLineError(both, "--unconditional samples without a prompt");
    }
}
