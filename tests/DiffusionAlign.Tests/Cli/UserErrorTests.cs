using DiffusionAlign.IO;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Cli;

/// <summary>User mistakes end in one line on stderr and exit code 2, never a stack trace.</summary>
[Collection("Console")]
public sealed class UserErrorTests
{
    private static void AssertOneLineError((int Exit, string Out, string Err) run, string expectedFragment)
    {
        Assert.Equal(2, run.Exit);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("dalign: error: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0]);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void MissingModelFolder()
    {
        var run = CliRunner.Run("sample", "--model", "/nonexistent/model",
            "--prompt", "a red circle on a blue background", "--out", "/tmp/x.png");
        AssertOneLineError(run, "model folder not found");
    }

    [Fact]
    public void UnknownPromptWord()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        var run = CliRunner.Run("sample", "--model", dir.Path, "--prompt", "a red dragon on a blue background",
            "--out", Path.Combine(dir.Path, "g.png"));
        AssertOneLineError(run, "dragon");
    }

    [Fact]
    public void MalformedSafetensors()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        File.WriteAllBytes(Path.Combine(dir.Path, "model.safetensors"),
            new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 });
        var run = CliRunner.Run("sample", "--model", dir.Path, "--prompt", "a red circle on a blue background",
            "--out", Path.Combine(dir.Path, "g.png"));
        AssertOneLineError(run, "model.safetensors");
    }

    [Fact]
    public void WeightsOfAnotherShape()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        var path = Path.Combine(dir.Path, "model.safetensors");
        var tensors = SafetensorsFile.Read(path);
        var key = tensors.Keys.First(k => k.StartsWith("unet.conv_in", StringComparison.Ordinal));
        tensors[key] = zeros(1, 2, 3);
        SafetensorsFile.Write(path, tensors);
        var run = CliRunner.Run("sample", "--model", dir.Path, "--prompt", "a red circle on a blue background",
            "--out", Path.Combine(dir.Path, "g.png"));
        AssertOneLineError(run, "shape");
    }

    [Fact]
    public void MissingPairsFile()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        var run = CliRunner.Run("align", "--method", "dpo", "--model", dir.Path, "--pairs", "/nonexistent/pairs",
            "--out", Path.Combine(dir.Path, "out"));
        AssertOneLineError(run, "/nonexistent/pairs");
    }

    [Fact]
    public void BadNumericFlag()
    {
        var run = CliRunner.Run("pretrain", "--out", "/tmp/never", "--steps", "0");
        AssertOneLineError(run, "--steps");
    }

    [Fact]
    public void BadSettingsAreNamedByTheirFlags()
    {
        // The library names the config property; the CLI tells the user which flag to change.
        using var dir = new TestModels.TempDir();
        var align = CliRunner.Run("align", "--method", "dspo", "--model", dir.Path, "--pairs", dir.Path,
            "--out", Path.Combine(dir.Path, "out"), "--dspo-margin-beta", "-1");
        AssertOneLineError(align, "--dspo-margin-beta must be positive");
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        var eval = CliRunner.Run("eval", "--model", "a=" + dir.Path, "--baseline", "a", "--elbo-draws", "0",
            "--out", Path.Combine(dir.Path, "r.json"));
        AssertOneLineError(eval, "--elbo-draws must be at least 1");
    }
}
