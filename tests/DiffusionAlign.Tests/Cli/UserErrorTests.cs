using DiffusionAlign.IO;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Cli;

/// <summary>User mistakes end in one line on stderr and exit code 2, never a stack trace.</summary>
[Collection("Console")]
public sealed class UserErrorTests
{
    private static void AssertOneLineError((int Exit, string Out, string Err) run, string expectedFragment) =>
        CliAssert.OneLineError(run, expectedFragment);

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

    [Fact]
    public void EveryUnknownWordIsNamed()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        var run = CliRunner.Run("sample", "--model", model, "--prompt", "a pink hexagon on a blue background",
            "--out", Path.Combine(dir.Path, "g.png"));
        AssertOneLineError(run, "unknown words 'pink', 'hexagon' in prompt");
        Assert.False(File.Exists(Path.Combine(dir.Path, "g.png")));
    }

    [Fact]
    public void VerboseShowsTheStackTraceOfAUserError()
    {
        string[] args = ["sample", "--model", "/nonexistent/model", "--prompt", "a red circle", "--out", "/tmp/x.png"];
        AssertOneLineError(CliRunner.Run(args), "model folder not found");
        string[][] verboseRuns = [["--verbose", .. args], [.. args, "--verbose"]];
        foreach (var verbose in verboseRuns)
        {
            var run = CliRunner.Run(verbose);
            Assert.Equal(2, run.Exit);
            Assert.StartsWith("dalign: error: model folder not found", run.Err);
            Assert.Contains("   at DiffusionAlign.", run.Err);
        }
    }

    /// <summary>Values outside their range, caught before any model loads (the model path does not exist).</summary>
    [Theory]
    [InlineData("--beta must be positive", "align", "--beta", "0")]
    [InlineData("--beta must be positive", "align", "--beta", "-0.5")]
    [InlineData("--steps must be at least 1", "align", "--steps", "0")]
    [InlineData("--batch must be at least 1", "align", "--batch", "0")]
    [InlineData("--lr must be positive", "align", "--lr", "0")]
    [InlineData("--max-pairs must be at least 1", "align", "--max-pairs", "0")]
    [InlineData("--prompt-dropout must be in [0, 1]", "align", "--prompt-dropout", "2")]
    [InlineData("--lora-rank must be at least 1", "align", "--lora-rank", "0")]
    [InlineData("--threads must be at least 1", "align", "--threads", "0")]
    [InlineData("--batch must be at least 1", "pretrain", "--batch", "0")]
    [InlineData("--lr must be positive", "pretrain", "--lr", "-1")]
    [InlineData("--warmup must be >= 0", "pretrain", "--warmup", "-1")]
    [InlineData("guidance scale must be >= 0", "sample", "--guidance", "-1")]
    [InlineData("steps must be in 1..1000", "sample", "--steps", "0")]
    [InlineData("--n must be in 1..1024", "sample", "--n", "-1")]
    [InlineData("--n must be in 1..1024", "sample", "--n", "0")]
    [InlineData("--scale must be in 1..16", "sample", "--scale", "0")]
    [InlineData("--n must be at least 1", "pairs", "--n", "-3")]
    [InlineData("--tau must be positive", "pairs", "--tau", "-1")]
    [InlineData("--prompts must be at least 1", "eval", "--prompts", "0")]
    [InlineData("guidance scale must be >= 0", "eval", "--guidance", "-2")]
    [InlineData("--batch must be at least 1", "cache-latents", "--batch", "0")]
    public void OutOfRangeValuesAreOneLineErrors(string expected, string command, string flag, string value)
    {
        using var dir = new TestModels.TempDir();
        string model = "/nonexistent/model";
        string[] required = command switch
        {
            "align" => ["--method", "dpo", "--model", model, "--pairs", dir.Path, "--out", Path.Combine(dir.Path, "o")],
            "pretrain" => ["--out", Path.Combine(dir.Path, "o")],
            "sample" => ["--model", model, "--prompt", "a red circle", "--out", Path.Combine(dir.Path, "g.png")],
            "pairs" => [.. flag == "--n" ? [] : new[] { "--n", "2" }, "--from", "renderer",
                "--out", Path.Combine(dir.Path, "p")],
            "eval" => ["--model", "a=" + model, "--baseline", "a", "--out", Path.Combine(dir.Path, "r.json")],
            _ => ["--model", model, "--pairs", dir.Path, "--out", Path.Combine(dir.Path, "c")],
        };
        var run = CliRunner.Run([command, .. required, flag, value]);
        AssertOneLineError(run, expected);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("model folder not found: /nonexistent/m", "eval", "--model", "a=/nonexistent/m", "--baseline", "a",
        "--out", "r.json")]
    [InlineData("model folder not found: /nonexistent/m", "export", "--run", "/nonexistent/m", "--out", "e")]
    [InlineData("model folder not found: /nonexistent/m", "pairs", "--n", "2", "--model", "/nonexistent/m",
        "--out", "p")]
    [InlineData("--model is required with --from model", "pairs", "--n", "2", "--out", "p")]
    [InlineData("--model expects NAME=DIR", "eval", "--model", "a", "--baseline", "a", "--out", "r.json")]
    public void MissingInputsAreOneLineErrors(string expected, params string[] args)
    {
        using var dir = new TestModels.TempDir();
        // Relative outputs land in the temp folder, which stays empty: nothing is written before the error.
        var run = CliRunner.Run([.. args.Select(a => a is "r.json" or "e" or "p" ? Path.Combine(dir.Path, a) : a)]);
        AssertOneLineError(run, expected);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }
}
