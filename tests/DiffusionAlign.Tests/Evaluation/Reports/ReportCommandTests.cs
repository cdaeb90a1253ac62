using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary><c>dalign report</c>: writes the page, and a bad --run or --out is one line with exit code 2.</summary>
[Collection("Console")]
public sealed class ReportCommandTests
{
    [Fact]
    public void WritesThePage()
    {
        using var dir = new TestModels.TempDir();
        string page = Path.Combine(dir.Path, "report.html");
        var run = CliRunner.Run("report", "--run", FakeRuns.Demo(dir.Path), "--run", FakeRuns.AlignRun(dir.Path),
            "--out", page);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains($"wrote {page}", run.Err);
        Assert.Contains("align-dpo", File.ReadAllText(page));
    }

    [Fact]
    public void MissingRunFolder()
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run("report", "--run", "/nonexistent/run", "--out", Path.Combine(dir.Path, "r.html"));
        CliAssert.OneLineError(run, "/nonexistent/run");
        Assert.False(File.Exists(Path.Combine(dir.Path, "r.html")));
    }

    [Fact]
    public void OutIsAFolder()
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run("report", "--run", FakeRuns.AlignRun(dir.Path), "--out", dir.Path);
        CliAssert.OneLineError(run, "is a folder");
    }
}
