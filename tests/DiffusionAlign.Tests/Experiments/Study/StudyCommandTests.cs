using DiffusionAlign.Tests.Cli;

namespace DiffusionAlign.Tests.Experiments.Study;

/// <summary><c>dalign study</c>'s user errors: one line, exit code 2, before any work.</summary>
[Collection("Console")]
public sealed class StudyCommandTests
{
    [Fact]
    public void AnUnknownStageIsAOneLineError() =>
        CliAssert.OneLineError(CliRunner.Run("study", "--stage", "train"), "--stage must be one of pairs, grid");

    [Fact]
    public void QuickAndASettingsFileTogetherAreAOneLineError() =>
        CliAssert.OneLineError(CliRunner.Run("study", "--quick", "--config", "tiny.json"), "give one");

    [Fact]
    public void AMissingSettingsFileIsAOneLineError()
    {
        using var dir = new TestModels.TempDir();
        CliAssert.OneLineError(CliRunner.Run("study", "--config", Path.Combine(dir.Path, "none.json"), "--out",
            Path.Combine(dir.Path, "study")), "study settings not found");
    }

    [Fact]
    public void AnOutputThatIsAFileIsAOneLineError()
    {
        using var dir = new TestModels.TempDir();
        string file = Path.Combine(dir.Path, "study.txt");
        File.WriteAllText(file, "");
        CliAssert.OneLineError(CliRunner.Run("study", "--out", file), "is a file");
    }

    [Fact]
    public void AStageWhoseEarlierStageHasNotRunSaysWhichToRunFirst()
    {
        using var dir = new TestModels.TempDir();
        string model = CliInputs.MicroModel(dir.Path);
        var run = CliRunner.Run("study", "--quick", "--stage", "grid", "--base", model, "--out",
            Path.Combine(dir.Path, "study"));
        CliAssert.OneLineError(run, "the pairs stage has no saved results");
        Assert.Contains("--stage pairs", run.Err);
    }
}
