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
        // Two columns of 24-pixel-wide, 16-pixel-high (native) samples, with 2-pixel gutters and border.
        Assert.Equal((2 * 24 + 3 * 2, 2 * 16 + 3 * 2), (grid.Width, grid.Height));
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
        Assert.Equal((12 + 2 * 2, 8 + 2 * 2), (grid.Width, grid.Height));
    }

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
